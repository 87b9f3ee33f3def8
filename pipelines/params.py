"""Pipeline hyper-parameters: typed sections read from ``params.yaml`` (the DVC params file).

Every field has a default here, so the pipeline runs without the file; ``params.yaml`` at the
repository root (``LEARNLOOP_PIPELINE__PARAMS_FILE``) overrides them and is what ``dvc repro``
tracks. Quick mode (``--quick`` / ``LEARNLOOP_PIPELINE__QUICK``) applies the ``quick_*`` knobs
of :class:`learnloop.settings.PipelineSettings` on top and writes to its own artifact folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from learnloop.settings import Settings


class ParamsError(ValueError):
    """``params.yaml`` names a section or key that does not exist."""


@dataclass(frozen=True)
class DataParams:
    """What to train on and how to split it (by learner, seeded)."""

    dataset: str | None = "assist2009"
    source: str | None = None
    max_learners: int | None = None
    valid_fraction: float = 0.1
    test_fraction: float = 0.2
    seed: int = 42
    max_seq_len: int = 200


@dataclass(frozen=True)
class KTParams:
    """Knowledge-tracing candidates (``models.kt`` names) and their hyper-parameters."""

    models: list[str] = field(default_factory=lambda: ["bkt", "pfa", "bestlr", "dkt"])
    hyper: dict[str, dict[str, Any]] = field(default_factory=dict)
    selection_metric: str = "valid_auc"


@dataclass(frozen=True)
class RecParams:
    """Recommender candidates (``models.rec`` names) and their hyper-parameters."""

    models: list[str] = field(default_factory=lambda: ["popularity", "itemknn"])
    hyper: dict[str, dict[str, Any]] = field(default_factory=dict)
    k: int = 10


@dataclass(frozen=True)
class EvaluateParams:
    """Offline evaluation: latency sample, calibration bins, simulated learning gain."""

    latency_samples: int = 200
    calibration_bins: int = 10
    simulate: bool = True
    sim_learners: int = 30
    sim_steps: int = 40
    sim_history_learners: int = 150
    sim_history_events: int = 60
    sim_seed: int = 7


@dataclass(frozen=True)
class PipelineParams:
    """All sections; ``profile`` is ``"full"`` or ``"quick"`` (separate artifact folders)."""

    data: DataParams = field(default_factory=DataParams)
    kt: KTParams = field(default_factory=KTParams)
    rec: RecParams = field(default_factory=RecParams)
    evaluate: EvaluateParams = field(default_factory=EvaluateParams)
    profile: str = "full"

    def section(self, name: str) -> dict[str, Any]:
        """One section as a plain dict (``"data"``, ``"kt"``, ...)."""
        return dataclasses.asdict(getattr(self, name))

    def digest(self, sections: tuple[str, ...]) -> str:
        """Stable hash of the given sections (part of a step's fingerprint)."""
        payload = json.dumps({s: self.section(s) for s in sections}, sort_keys=True, default=str)
        return hashlib.md5(payload.encode(), usedforsecurity=False).hexdigest()


SECTIONS: dict[str, type] = {
    "data": DataParams,
    "kt": KTParams,
    "rec": RecParams,
    "evaluate": EvaluateParams,
}


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ParamsError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(known)}")
    return cls(**values)


def read_params(path: Path | None) -> PipelineParams:
    """Parameters from a YAML file (missing file: the defaults)."""
    raw: dict[str, Any] = {}
    if path is not None and path.is_file():
        raw = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ParamsError(f"{path}: unknown section(s) {unknown}; allowed: {sorted(SECTIONS)}")
    sections = {
        name: _build(cls, raw.get(name) or {}, f"{path}:{name}") for name, cls in SECTIONS.items()
    }
    return PipelineParams(**sections)


def load_params(settings: Settings, *, quick: bool | None = None) -> PipelineParams:
    """The run's parameters: ``params.yaml`` plus quick-mode overrides from settings."""
    params = read_params(settings.pipeline_params_file)
    if not (settings.pipeline.quick if quick is None else quick):
        return params
    knobs = settings.pipeline
    return dataclasses.replace(
        params,
        data=dataclasses.replace(params.data, max_learners=knobs.quick_max_learners),
        kt=dataclasses.replace(params.kt, models=list(knobs.quick_kt_models)),
        rec=dataclasses.replace(params.rec, models=list(knobs.quick_rec_models)),
        evaluate=dataclasses.replace(
            params.evaluate, latency_samples=200, sim_learners=10, sim_steps=15
        ),
        profile="quick",
    )
