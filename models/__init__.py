"""Pure ML models (numpy, torch, scikit-learn, implicit): knowledge tracing, recommenders."""
