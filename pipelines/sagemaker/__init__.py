"""SageMaker Pipelines: compile the step graph, deploy it, run a step inside its container."""
