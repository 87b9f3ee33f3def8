"""A/B experiments: definitions, deterministic assignment, analysis, sequential tests, OPE.

Serving (RES, LPS) uses only the light part of the package::

    from pipelines.experiments import Assigner, exposure_context

    assigner = Assigner.from_dir(settings.experiments_dir)      # once per process
    variants = assigner.assignments(learner_id, course_id=course, platform=platform)
    context = exposure_context(context, variants, propensity=p)  # p: chance of what was served

Analysis (``analysis``, ``data``, ``report``), statistics (``stats``, ``sequential``) and
off-policy evaluation (``ope``) are imported from their modules.
"""

from pipelines.experiments.assignment import Assigner, assign, exposure_context, hash_unit
from pipelines.experiments.definitions import (
    Experiment,
    ExperimentDefinitionError,
    ExperimentRegistry,
    UnknownExperimentError,
    parse_experiment,
)

__all__ = [
    "Assigner",
    "Experiment",
    "ExperimentDefinitionError",
    "ExperimentRegistry",
    "UnknownExperimentError",
    "assign",
    "exposure_context",
    "hash_unit",
    "parse_experiment",
]
