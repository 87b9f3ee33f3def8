"""Progress tracking service (PTS): online mastery from LearningEvents, progress APIs."""
