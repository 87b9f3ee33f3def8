"""Run one step inside its SageMaker container (``learnloop pipeline step NAME --sagemaker``).

Processing jobs mount upstream outputs at ``/opt/ml/processing/input/<step>`` and upload
``/opt/ml/processing/output/<step>``; training jobs get channels at ``/opt/ml/input/data/<step>``
and upload ``/opt/ml/model`` as ``model.tar.gz`` — which is unpacked in place when a later step
receives it. No skip logic here: SageMaker's step caching decides what reruns.
"""

from __future__ import annotations

import logging
import tarfile
from pathlib import Path

from learnloop.settings import Settings
from pipelines.context import StepContext, StepResult, StepSkipped
from pipelines.graph import get_step
from pipelines.params import load_params

logger = logging.getLogger(__name__)
SAGEMAKER_ROOT = Path("/opt/ml")


def container_paths(name: str, base: Path = SAGEMAKER_ROOT) -> tuple[dict[str, Path], Path]:
    """``(inputs by upstream step, output folder)`` of step ``name`` in its container."""
    spec = get_step(name)
    if spec.kind == "training":
        return {u: base / "input" / "data" / u for u in spec.upstream}, base / "model"
    processing = base / "processing"
    return {u: processing / "input" / u for u in spec.upstream}, processing / "output" / name


def unpack_model_tarballs(folder: Path) -> None:
    """A training output arrives as ``model.tar.gz``: extract it into its folder."""
    archive = folder / "model.tar.gz"
    if archive.is_file():
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        archive.unlink()


def run_container_step(settings: Settings, name: str, base: Path = SAGEMAKER_ROOT) -> StepResult:
    """Run step ``name`` on the container's folders."""
    spec = get_step(name)
    inputs, out = container_paths(name, base)
    for folder in inputs.values():
        if not folder.is_dir():
            raise FileNotFoundError(f"input {folder} of step {name} is missing")
        unpack_model_tarballs(folder)
    out.mkdir(parents=True, exist_ok=True)
    ctx = StepContext(
        name=name,
        settings=settings,
        params=load_params(settings),
        out=out,
        inputs=inputs,
        reports=out / "reports",
    )
    try:
        return spec.function(ctx)
    except StepSkipped as skip:
        (out / "skipped.txt").write_text(f"{skip}\n")
        return StepResult(summary=f"skipped: {skip}")
