"""Pipeline steps, one module per stage; each exposes ``run(ctx: StepContext) -> StepResult``."""
