"""The step graph, declared once and used by the local runner, ``dvc.yaml`` and SageMaker.

ingest → validate → features → train_kt, train_rec → evaluate → register → promote
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pipelines.context import StepContext, StepResult

StepKind = Literal["processing", "training"]
COMMON_CODE = ("pipelines.context", "pipelines.params", "pipelines.artifacts")


@dataclass(frozen=True)
class StepSpec:
    """One step: its function, upstream steps, parameter sections and code dependencies."""

    name: str
    module: str
    upstream: tuple[str, ...]
    params: tuple[str, ...]
    code: tuple[str, ...]
    description: str
    kind: StepKind = "processing"
    repo_deps: tuple[str, ...] = ()
    run: Callable[[StepContext], StepResult] | None = None

    def load(self) -> Any:
        """The step module (imported on first use)."""
        return importlib.import_module(self.module)

    @property
    def function(self) -> Callable[[StepContext], StepResult]:
        """``run`` if given, else the module's ``run`` function."""
        if self.run is not None:
            return self.run
        run: Callable[[StepContext], StepResult] = self.load().run
        return run

    def fingerprint_extra(self) -> Callable[..., Any] | None:
        """The module's optional ``fingerprint_extra(settings, params)``."""
        extra: Callable[..., Any] | None = getattr(self.load(), "fingerprint_extra", None)
        return extra

    @property
    def all_code(self) -> tuple[str, ...]:
        return (self.module, *COMMON_CODE, *self.code)


STEPS: tuple[StepSpec, ...] = (
    StepSpec(
        "ingest",
        "pipelines.steps.ingest",
        (),
        ("data",),
        ("features.importers", "features.lake", "features.datasets"),
        "Import the shipped dataset into the lake if missing; snapshot the selected events.",
        repo_deps=("data/kt.tar.xz",),
    ),
    StepSpec(
        "validate",
        "pipelines.steps.validate",
        ("ingest",),
        (),
        ("features.validation",),
        "great-expectations suite on the snapshot; a failure stops the pipeline.",
    ),
    StepSpec(
        "features",
        "pipelines.steps.features",
        ("ingest", "validate"),
        ("data",),
        (
            "pipelines.pit_join",
            "pipelines.kt_data",
            "pipelines.steps.validate",
            "pipelines.steps.ingest",
            "features.sql",
            "features.feature_repo",
            "features.validation",
        ),
        "Point-in-time feature join (Feast views), learner split, vocabularies.",
    ),
    StepSpec(
        "train_kt",
        "pipelines.steps.train_kt",
        ("features",),
        ("data", "kt"),
        ("pipelines.kt_data", "models"),
        "Fit every knowledge-tracing candidate; keep learning curves.",
        kind="training",
    ),
    StepSpec(
        "train_rec",
        "pipelines.steps.train_rec",
        ("features",),
        ("rec",),
        ("models",),
        "Fit every recommender candidate (skipped until models.rec exists).",
        kind="training",
    ),
    StepSpec(
        "evaluate",
        "pipelines.steps.evaluate",
        ("features", "train_kt", "train_rec"),
        ("data", "kt", "rec", "evaluate"),
        (
            "pipelines.kt_data",
            "pipelines.plots",
            "pipelines.scoring",
            "pipelines.simulate",
            "pipelines.steps.train_rec",
            "features.simulator",
            "models",
        ),
        "Test metrics, plots, latency, simulated learning gain; pick the challengers.",
    ),
    StepSpec(
        "register",
        "pipelines.steps.register",
        ("validate", "features", "train_kt", "train_rec", "evaluate"),
        (),
        (
            "pipelines.registry",
            "pipelines.scoring",
            "pipelines.steps.evaluate",
            "pipelines.steps.ingest",
            "pipelines.steps.train_rec",
            "models",
        ),
        "Log runs to MLflow, register challengers, score the champion, decide the gate.",
    ),
    StepSpec(
        "promote",
        "pipelines.steps.promote",
        ("register",),
        (),
        ("pipelines.registry", "pipelines.steps.register"),
        "Move the champion alias where the gate passed; record every decision.",
    ),
)
STEP_NAMES = tuple(s.name for s in STEPS)
BY_NAME = {s.name: s for s in STEPS}


def get_step(name: str) -> StepSpec:
    """The step called ``name``; the error lists the known steps."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown step {name!r}; steps: {', '.join(STEP_NAMES)}") from None


def with_upstream(names: list[str]) -> list[str]:
    """``names`` plus everything they depend on, in graph order."""
    wanted: set[str] = set()

    def visit(name: str) -> None:
        if name not in wanted:
            wanted.add(name)
            for up in get_step(name).upstream:
                visit(up)

    for name in names:
        visit(name)
    return [n for n in STEP_NAMES if n in wanted]
