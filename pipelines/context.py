"""What a step receives (:class:`StepContext`) and returns (:class:`StepResult`).

A step is a plain function ``run(ctx) -> StepResult``: it reads its upstream steps' output
folders (``ctx.input("features")``), writes its own files into ``ctx.out`` and returns
metrics. The local runner, ``dvc repro`` (through ``learnloop pipeline step``) and the
SageMaker containers call the same functions; only the folders differ.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learnloop.settings import Settings
from pipelines.params import PipelineParams

logger = logging.getLogger("pipelines")


class StepSkipped(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by a step that has nothing to do (e.g. ``models.rec`` not installed)."""


@dataclass
class StepContext:
    """Inputs of one step run."""

    name: str
    settings: Settings
    params: PipelineParams
    out: Path
    inputs: dict[str, Path] = field(default_factory=dict)
    reports: Path | None = None
    report: Callable[[str], None] = field(default=logger.info)

    def input(self, step: str) -> Path:
        """Output folder of upstream step ``step``."""
        try:
            return self.inputs[step]
        except KeyError:
            known = ", ".join(sorted(self.inputs)) or "none"
            raise KeyError(f"step {self.name!r} has no input {step!r}; inputs: {known}") from None

    @property
    def reports_dir(self) -> Path:
        """Folder for reports that must survive a failed step (validation reports)."""
        return self.reports or self.out / "reports"


@dataclass
class StepResult:
    """What a step reports: scalar metrics and a one-line summary."""

    metrics: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
