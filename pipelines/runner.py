"""The local runner: run steps in graph order, skip the ones whose inputs are unchanged.

A step reruns when its fingerprint (code, parameter sections, upstream output hashes, extra
inputs such as the lake's file listing) differs from its last successful run or when its
output folder was touched. Outputs are written to a staging folder and published only when
the step succeeds, so a failed run leaves the previous outputs (and the champion) in place.
``learnloop pipeline step NAME`` — what each ``dvc.yaml`` stage runs — goes through the same
code with a single step.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from learnloop.settings import Settings
from pipelines.artifacts import ArtifactStore, StepState, code_digest, md5_json
from pipelines.context import StepContext, StepResult, StepSkipped
from pipelines.graph import STEPS, StepSpec
from pipelines.params import PipelineParams, load_params

logger = logging.getLogger(__name__)
Status = Literal["ran", "unchanged", "skipped", "failed"]
Listener = Callable[[str, str], None]


@dataclass
class StepOutcome:
    """How one step went in a run."""

    step: str
    status: Status
    seconds: float = 0.0
    summary: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunReport:
    """Outcome of a pipeline run."""

    root: Path
    profile: str
    outcomes: list[StepOutcome] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def ran(self) -> list[str]:
        return [o.step for o in self.outcomes if o.status == "ran"]

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self.outcomes)


class StepFailedError(RuntimeError):
    """A step raised; the message names the step and the cause."""


def artifact_root(settings: Settings, params: PipelineParams) -> Path:
    """Folder of one profile's step outputs (``full`` and ``quick`` are kept apart)."""
    return settings.pipeline_root / params.profile


def fingerprint(
    spec: StepSpec, store: ArtifactStore, params: PipelineParams, settings: Settings
) -> str:
    """Everything that determines ``spec``'s outputs, hashed."""
    upstream = {}
    for name in spec.upstream:
        state = store.read_state(name)
        upstream[name] = state.outputs_md5 if state else "missing"
    extra_fn = spec.fingerprint_extra()
    extra = extra_fn(settings, params) if extra_fn else None
    return md5_json(
        {
            "step": spec.name,
            "code": code_digest(spec.all_code),
            "params": params.digest(spec.params),
            "upstream": upstream,
            "extra": extra,
        }
    )


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    lock_path = root / "_state" / "lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another pipeline run holds {lock_path}; wait for it") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_pipeline(
    settings: Settings,
    *,
    steps: list[str] | None = None,
    force: bool = False,
    quick: bool | None = None,
    params: PipelineParams | None = None,
    listener: Listener | None = None,
    report: Callable[[str], None] | None = None,
    graph: Sequence[StepSpec] = STEPS,
) -> RunReport:
    """Run ``steps`` (default: all) in graph order; returns what ran, was unchanged or failed.

    Parameters
    ----------
    settings : Settings
        Where the lake, the artifacts and MLflow live.
    steps : list of str, optional
        Only these steps (their upstream outputs must exist).
    force : bool
        Rerun even when unchanged.
    quick : bool, optional
        Quick mode (default: ``settings.pipeline.quick``).
    params : PipelineParams, optional
        Override ``params.yaml`` (tests, notebooks).
    listener : callable, optional
        ``listener(step, event)`` with event ``start``/``ran``/``unchanged``/``skipped``/
        ``failed`` (progress display).
    report : callable, optional
        Receives the steps' progress messages.
    graph : sequence of StepSpec
        The steps in order (default: :data:`pipelines.graph.STEPS`).
    """
    params = params or load_params(settings, quick=quick)
    by_name = {spec.name: spec for spec in graph}
    names = steps or list(by_name)
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise KeyError(f"unknown step(s) {', '.join(unknown)}; steps: {', '.join(by_name)}")
    ordered = [spec for spec in graph if spec.name in names]
    root = artifact_root(settings, params)
    store = ArtifactStore(root)
    run = RunReport(root=root, profile=params.profile)
    notify = listener or (lambda step, event: None)
    with _locked(root):
        store.clean_leftovers()
        for spec in ordered:
            outcome = _run_one(
                spec, store, settings, params, force=force, notify=notify, report=report
            )
            run.outcomes.append(outcome)
            if outcome.status == "failed":
                run.error = f"step {spec.name} failed: {outcome.summary}"
                break
    return run


def _done(state: StepState | None) -> bool:
    return state is not None and state.status == "done"


def _run_one(
    spec: StepSpec,
    store: ArtifactStore,
    settings: Settings,
    params: PipelineParams,
    *,
    force: bool,
    notify: Listener,
    report: Callable[[str], None] | None,
) -> StepOutcome:
    missing = [u for u in spec.upstream if not _done(store.read_state(u))]
    if missing:
        message = f"upstream step(s) {', '.join(missing)} have no current outputs; run them first"
        notify(spec.name, "failed")
        return StepOutcome(spec.name, "failed", summary=message)
    print_fn = report or (lambda message: logger.info("%s: %s", spec.name, message))
    key = fingerprint(spec, store, params, settings)
    if not force and store.is_current(spec.name, key):
        state = store.read_state(spec.name)
        notify(spec.name, "unchanged")
        summary = state.summary if state else ""
        return StepOutcome(spec.name, "unchanged", summary=summary)
    notify(spec.name, "start")
    staging = store.staging_dir(spec.name)
    ctx = StepContext(
        name=spec.name,
        settings=settings,
        params=params,
        out=staging,
        inputs={u: store.out_dir(u) for u in spec.upstream},
        reports=store.root / "reports",
        report=print_fn,
    )
    started = time.time()
    status: Status = "ran"
    try:
        result = spec.function(ctx)
    except StepSkipped as skip:
        (staging / "skipped.txt").write_text(f"{skip}\n")
        result, status = StepResult(summary=f"skipped: {skip}"), "skipped"
    except Exception as exc:
        shutil.rmtree(staging, ignore_errors=True)
        seconds = time.time() - started
        store.write_state(
            StepState(spec.name, key, "", status="failed", started_at=started, seconds=seconds,
                      summary=str(exc))
        )  # fmt: skip
        logger.exception("step %s failed", spec.name)
        notify(spec.name, "failed")
        return StepOutcome(spec.name, "failed", seconds, f"{type(exc).__name__}: {exc}")
    store.publish(spec.name, staging)
    seconds = time.time() - started
    state = StepState(
        spec.name,
        key,
        store.outputs_md5(spec.name),
        started_at=started,
        seconds=seconds,
        metrics=result.metrics,
        summary=result.summary,
    )
    store.write_state(state)
    notify(spec.name, status)
    return StepOutcome(spec.name, status, seconds, result.summary, result.metrics)
