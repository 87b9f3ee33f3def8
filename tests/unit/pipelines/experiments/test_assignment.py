"""Experiment definitions, deterministic hash assignment and exposure logging."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from features.events import EventContext
from pipelines.experiments.assignment import Assigner, assign, exposure_context, hash_units
from pipelines.experiments.definitions import (
    Experiment,
    ExperimentDefinitionError,
    ExperimentRegistry,
    UnknownExperimentError,
    parse_experiment,
)
from pipelines.experiments.stats import sample_ratio_mismatch

START = datetime(2024, 1, 1, tzinfo=UTC)
IDS = [f"learner-{i:05d}" for i in range(20_000)]


def make(**overrides: object) -> Experiment:
    data: dict[str, object] = {
        "id": "exp-1",
        "variants": [{"name": "control"}, {"name": "treatment"}],
        "primary_metric": "accuracy",
        "start": START,
    }
    data.update(overrides)
    return parse_experiment(data)


def test_assignment_is_deterministic_and_salt_dependent() -> None:
    exp = make()
    first = [assign(exp, lid) for lid in IDS[:500]]
    assert first == [assign(exp, lid) for lid in IDS[:500]]
    resalted = [assign(make(salt="other"), lid) for lid in IDS[:500]]
    assert first != resalted
    # Independent salts: agreement of two 50/50 splits is about one half.
    assert 0.43 < np.mean([a == b for a, b in zip(first, resalted, strict=True)]) < 0.57


@pytest.mark.parametrize("weights", [(1, 1), (1, 3), (1, 1, 2)])
def test_allocation_follows_weights(weights: tuple[int, ...]) -> None:
    variants = [{"name": f"v{i}", "weight": w} for i, w in enumerate(weights)]
    exp = make(variants=variants)
    counts: dict[str, int] = {}
    for lid in IDS:
        variant = assign(exp, lid)
        assert variant is not None
        counts[variant] = counts.get(variant, 0) + 1
    assert not sample_ratio_mismatch(counts, exp.weights, threshold=0.001).mismatch


def test_traffic_share_and_target_filters() -> None:
    exp = make(target={"traffic": 0.2, "courses": ["algebra"], "platforms": ["web"]})
    assert assign(exp, IDS[0], course_id="geometry", platform="web") is None
    assert assign(exp, IDS[0], course_id="algebra", platform="ios") is None
    entered = [assign(exp, lid, course_id="algebra", platform="web") for lid in IDS[:10_000]]
    share = np.mean([v is not None for v in entered])
    assert share == pytest.approx(0.2, abs=0.015)


def test_hash_units_is_uniform() -> None:
    u = hash_units("salt", IDS)
    assert u.min() >= 0 and u.max() < 1
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    assert counts.min() > 0.9 * len(IDS) / 10


def test_definitions_reject_bad_documents_naming_fields() -> None:
    with pytest.raises(ExperimentDefinitionError, match="unknown metric 'clicks'"):
        make(primary_metric="clicks")
    with pytest.raises(ExperimentDefinitionError, match="unique"):
        make(variants=[{"name": "a"}, {"name": "a"}])
    with pytest.raises(ExperimentDefinitionError, match="variants"):
        make(variants=[{"name": "a"}])
    with pytest.raises(ExperimentDefinitionError, match="traffic"):
        make(target={"traffic": 1.5})


def test_registry_from_folder_and_active_assignments(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "id: a\nvariants: [{name: control}, {name: b}]\nprimary_metric: accuracy\n"
        "start: 2024-01-01T00:00:00Z\nend: 2024-02-01T00:00:00Z\n"
    )
    (tmp_path / "b.json").write_text(
        '{"id": "later", "variants": [{"name": "x"}, {"name": "y"}],'
        ' "primary_metric": "attempts", "start": "2024-06-01T00:00:00Z"}'
    )
    assigner = Assigner.from_dir(tmp_path)
    assert len(assigner.registry) == 2
    january = assigner.assignments("learner-1", at=datetime(2024, 1, 15, tzinfo=UTC))
    assert set(january) == {"a"}
    assert january["a"] == assigner.assign("a", "learner-1")
    with pytest.raises(UnknownExperimentError, match="known: a, later"):
        assigner.assign("nope", "learner-1")
    (tmp_path / "broken.yaml").write_text("id: [unclosed\n")
    with pytest.raises(ExperimentDefinitionError, match=r"broken\.yaml"):
        ExperimentRegistry.from_dir(tmp_path)


def test_exposure_context_merges_assignments_and_propensity() -> None:
    base = EventContext(session_id="s1", experiments={"old": "a"})
    context = exposure_context(base, {"exp-1": "treatment"}, propensity=0.25)
    assert context.experiments == {"old": "a", "exp-1": "treatment"}
    assert context.propensity == 0.25
    assert context.session_id == "s1"
