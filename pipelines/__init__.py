"""Training pipelines: steps, local and SageMaker runners, MLflow registry gates, drift monitors."""
