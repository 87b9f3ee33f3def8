"""The local runner: skip unchanged steps, rerun on changes, keep outputs when a step fails."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from learnloop.settings import Settings
from pipelines.context import StepContext, StepResult, StepSkipped
from pipelines.graph import StepSpec
from pipelines.params import PipelineParams
from pipelines.runner import run_pipeline

CALLS: list[str] = []


def produce(ctx: StepContext) -> StepResult:
    CALLS.append(ctx.name)
    (ctx.out / "value.json").write_text(json.dumps({"seed": ctx.params.data.seed}))
    return StepResult(metrics={"seed": ctx.params.data.seed}, summary="produced")


def double(ctx: StepContext) -> StepResult:
    CALLS.append(ctx.name)
    value = json.loads((ctx.input("produce") / "value.json").read_text())["seed"]
    if value < 0:
        raise ValueError(f"negative seed {value}")
    (ctx.out / "double.json").write_text(json.dumps(2 * value))
    return StepResult(summary=f"doubled to {2 * value}")


def optional(ctx: StepContext) -> StepResult:
    CALLS.append(ctx.name)
    raise StepSkipped("nothing to do here")


GRAPH = (
    StepSpec("produce", __name__, (), ("data",), (), "writes the seed", run=produce),
    StepSpec("double", __name__, ("produce",), (), (), "doubles it", run=double),
    StepSpec("optional", __name__, ("produce",), (), (), "always skips", run=optional),
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def run(settings: Settings, seed: int = 1, **kwargs: object):
    params = PipelineParams(data=dataclasses.replace(PipelineParams().data, seed=seed))
    CALLS.clear()
    return run_pipeline(settings, params=params, graph=GRAPH, **kwargs)  # type: ignore[arg-type]


def test_second_run_with_unchanged_inputs_does_nothing(settings: Settings) -> None:
    first = run(settings)
    assert first.ok and first.ran == ["produce", "double"]
    assert [o.status for o in first.outcomes] == ["ran", "ran", "skipped"]
    again = run(settings)
    assert CALLS == []
    assert [o.status for o in again.outcomes] == ["unchanged"] * 3


def test_changed_params_rerun_the_step_and_its_dependents(settings: Settings) -> None:
    run(settings, seed=1)
    result = run(settings, seed=5)
    assert CALLS == ["produce", "double", "optional"]
    out = result.root / "double" / "double.json"
    assert json.loads(out.read_text()) == 10


def test_touched_output_reruns_the_step(settings: Settings) -> None:
    first = run(settings)
    (first.root / "double" / "double.json").write_text("999")
    run(settings)
    assert CALLS == ["double"]
    assert json.loads((first.root / "double" / "double.json").read_text()) == 2


def test_failed_step_stops_the_run_and_keeps_previous_outputs(settings: Settings) -> None:
    run(settings, seed=3)
    failed = run(settings, seed=-1)
    assert not failed.ok
    assert "negative seed -1" in (failed.error or "")
    assert [o.status for o in failed.outcomes] == ["ran", "failed"]
    assert json.loads((failed.root / "double" / "double.json").read_text()) == 6
    assert not list((failed.root / "_state").glob("*.staging-*"))


def test_single_step_needs_current_upstream_outputs(settings: Settings) -> None:
    result = run(settings, steps=["double"])
    assert not result.ok
    assert "upstream step(s) produce" in (result.error or "")


def test_force_reruns_everything(settings: Settings) -> None:
    run(settings)
    run(settings, force=True)
    assert CALLS == ["produce", "double", "optional"]


def test_unknown_step_names_the_known_ones(settings: Settings) -> None:
    with pytest.raises(KeyError, match="steps: produce, double, optional"):
        run(settings, steps=["nope"])
