"""Pure ML models (numpy, torch, scikit-learn, implicit only): knowledge tracing, recommenders, policies."""
