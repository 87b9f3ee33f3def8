"""Assessment service (AS): assessments, items, attempts, hints, grading; emits LearningEvents."""
