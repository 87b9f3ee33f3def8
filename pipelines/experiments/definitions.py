"""Experiment definitions: variants and allocation, target population, metrics, guardrails.

An experiment is a small YAML or JSON document (one file per experiment in the experiments
folder, ``<data_dir>/experiments`` by default)::

    id: rec-sasrec-vs-knn
    variants: [{name: control, weight: 1}, {name: sasrec, weight: 1}]
    target: {courses: [algebra-1], traffic: 0.5}
    primary_metric: accuracy
    guardrails: [{metric: mean_duration_s, direction: decrease, tolerance: 0.05}]
    start: 2024-01-01T00:00:00Z

The first variant is the control every other variant is compared with.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from features.events import field_errors
from pipelines.experiments.metrics import METRICS

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Segment = Literal["platform", "course", "tenure"]
SEGMENT_DIMENSIONS: tuple[Segment, ...] = ("platform", "course", "tenure")


class ExperimentDefinitionError(ValueError):
    """An experiment document is invalid; the message names every bad field."""


class UnknownExperimentError(KeyError):
    """No experiment with this id; the message lists the known ids."""

    def __init__(self, experiment_id: str, known: Iterable[str]) -> None:
        self.experiment_id = experiment_id
        names = ", ".join(sorted(known)) or "none defined"
        super().__init__(f"unknown experiment {experiment_id!r}; known: {names}")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Frozen):
    """One arm; ``weight`` is its relative share of the eligible traffic."""

    name: Name
    weight: float = Field(default=1.0, gt=0.0)
    description: str = ""


class TargetPopulation(_Frozen):
    """Who may enter: course and platform filters (empty = all) and a traffic share."""

    courses: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    traffic: float = Field(default=1.0, gt=0.0, le=1.0, description="Share of eligible learners.")

    def admits(self, *, course_id: str | None = None, platform: str | None = None) -> bool:
        """True when a learner seen in ``course_id`` on ``platform`` matches the filters."""
        if self.courses and course_id not in self.courses:
            return False
        return not (self.platforms and platform not in self.platforms)


class Guardrail(_Frozen):
    """A metric that must not get worse by more than ``tolerance`` (relative to control)."""

    metric: str
    direction: Literal["increase", "decrease"] = Field(
        description="Which direction is good for this metric."
    )
    tolerance: float = Field(default=0.0, ge=0.0, description="Allowed relative degradation.")

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        return _check_metric(value)


def _check_metric(value: str) -> str:
    if value not in METRICS:
        raise ValueError(f"unknown metric {value!r}; allowed: {', '.join(METRICS)}")
    return value


class Experiment(_Frozen):
    """An A/B(/n) experiment. The first variant is the control."""

    id: Name
    name: str = ""
    description: str = ""
    owner: str = ""
    salt: str | None = Field(default=None, description="Hash salt; defaults to the id.")
    variants: list[Variant] = Field(min_length=2)
    target: TargetPopulation = Field(default_factory=TargetPopulation)
    primary_metric: str
    secondary_metrics: list[str] = Field(default_factory=list)
    guardrails: list[Guardrail] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=lambda: list(SEGMENT_DIMENSIONS))
    start: datetime
    end: datetime | None = None
    pre_period_days: int = Field(default=14, ge=0)
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    srm_threshold: float = Field(default=0.001, gt=0.0, lt=1.0)

    @field_validator("primary_metric")
    @classmethod
    def _known_primary(cls, value: str) -> str:
        return _check_metric(value)

    @field_validator("secondary_metrics")
    @classmethod
    def _known_secondary(cls, values: list[str]) -> list[str]:
        return [_check_metric(v) for v in values]

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError(f"variant names must be unique, got {names}")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} must be after start")
        return self

    @property
    def control(self) -> str:
        """Name of the control variant (the first one)."""
        return self.variants[0].name

    @property
    def hash_salt(self) -> str:
        """Salt of the assignment hash."""
        return self.salt or self.id

    @property
    def weights(self) -> dict[str, float]:
        """Variant name -> normalised allocation share (sums to 1)."""
        total = sum(v.weight for v in self.variants)
        return {v.name: v.weight / total for v in self.variants}

    @property
    def metrics(self) -> list[str]:
        """Primary, secondary and guardrail metrics, without repeats, in that order."""
        ordered = [
            self.primary_metric,
            *self.secondary_metrics,
            *(g.metric for g in self.guardrails),
        ]
        return list(dict.fromkeys(ordered))


def parse_experiment(data: Any) -> Experiment:
    """Validate a mapping as an :class:`Experiment`; errors name every bad field."""
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(str(e) for e in field_errors(exc))
        raise ExperimentDefinitionError(f"invalid experiment: {details}") from None


def load_experiment_file(path: Path) -> Experiment:
    """Read one ``.yaml``/``.yml``/``.json`` experiment document."""
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ExperimentDefinitionError(f"{path}: not valid YAML/JSON ({exc})") from None
    try:
        return parse_experiment(data)
    except ExperimentDefinitionError as exc:
        raise ExperimentDefinitionError(f"{path}: {exc}") from None


class ExperimentRegistry:
    """The experiments defined in one folder (or given directly), by id."""

    def __init__(self, experiments: Iterable[Experiment] = ()) -> None:
        self._by_id: dict[str, Experiment] = {}
        for experiment in experiments:
            self.add(experiment)

    @classmethod
    def from_dir(cls, folder: Path) -> ExperimentRegistry:
        """Every ``*.yaml``/``*.yml``/``*.json`` file of ``folder`` (missing folder: empty)."""
        if not folder.is_dir():
            return cls()
        files = sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml", ".json"})
        return cls(load_experiment_file(p) for p in files)

    def add(self, experiment: Experiment) -> None:
        """Register ``experiment``; ids must be unique."""
        if experiment.id in self._by_id:
            raise ExperimentDefinitionError(f"experiment {experiment.id!r} is defined twice")
        self._by_id[experiment.id] = experiment

    def get(self, experiment_id: str) -> Experiment:
        """The experiment ``experiment_id`` or :class:`UnknownExperimentError`."""
        try:
            return self._by_id[experiment_id]
        except KeyError:
            raise UnknownExperimentError(experiment_id, self._by_id) from None

    def __iter__(self) -> Any:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def active(self, at: datetime) -> list[Experiment]:
        """Experiments running at ``at``."""
        return [e for e in self if e.start <= at and (e.end is None or at < e.end)]
