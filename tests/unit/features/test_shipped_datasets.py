"""The shipped knowledge-tracing data imports with the counts its README states."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pytest

from features.datasets.content_pack import ContentPack, skill_names
from features.datasets.kt_folds import DatasetNotFoundError, load_all_learners, load_fold
from features.importers import import_kt_dataset, is_kt_dataset_imported
from features.lake import Lake


def test_assist2009_import_matches_readme_counts(dataset_dir: Path, tmp_path: Path) -> None:
    lake = Lake.from_uri(str(tmp_path / "lake"))
    assert not is_kt_dataset_imported(lake, "assist2009")
    report = import_kt_dataset(dataset_dir, "assist2009", lake)
    assert report.events_written == 325_637
    events = lake.read_events(columns=["learner_id", "object_id", "correct"])
    assert events.num_rows == 325_637
    assert len(pc.unique(events.column("learner_id"))) == 4_151
    assert len(pc.unique(events.column("object_id"))) == 16_891 - 0  # every problem id used
    assert round(pc.mean(events.column("correct").cast("int8")).as_py() * 100, 2) == 65.85
    assert is_kt_dataset_imported(lake, "assist2009_pid")
    import_kt_dataset(dataset_dir, "assist2009", lake)  # idempotent
    assert lake.read_events(columns=["event_id"]).num_rows == 325_637


@pytest.mark.parametrize(
    ("dataset", "learners", "interactions"),
    [("assist2015", 19_840, 683_801), ("statics", 333, 189_297)],
)
def test_other_datasets_match_readme_counts(
    dataset_dir: Path, dataset: str, learners: int, interactions: int
) -> None:
    sequences = load_all_learners(dataset_dir, dataset)
    assert len(sequences) == learners
    assert sum(len(s) for s in sequences) == interactions


def test_fold_protocol_valid_k_is_test_k_plus_one(dataset_dir: Path) -> None:
    fold1, fold2 = load_fold(dataset_dir, "assist2009", 1), load_fold(dataset_dir, "assist2009", 2)
    assert [s.learner_id for s in fold1.valid] == [s.learner_id for s in fold2.test]
    train = {s.learner_id for s in fold1.train}
    assert train.isdisjoint(s.learner_id for s in fold1.test)
    assert fold1.train[0].problems is not None


def test_unknown_dataset_lists_known_names(dataset_dir: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="known: assist2009"):
        load_fold(dataset_dir, "assist2077")


def test_content_pack_counts(dataset_dir: Path) -> None:
    pack = ContentPack(dataset_dir / "content")
    assert len(pack.problems) == 12_814
    assert len(pack.skills) == 1_232  # 1,233 names in the file, one of them empty
    assert len(pack.courses) == 18
    assert sum(len(c.lessons) for c in pack.courses) == 626
    algebra = pack.course("OpenStax: College Algebra")
    assert algebra.problem_count == 1547
    assert algebra.lessons[0].learning_objectives[0].mastery_threshold == 0.85
    with pytest.raises(KeyError, match="available"):
        pack.course("Underwater Basket Weaving")


def test_content_pack_drops_blank_skill_names(dataset_dir: Path) -> None:
    """Two problems and one lesson objective carry an empty skill name in the pack's files."""
    pack = ContentPack(dataset_dir / "content")
    assert "" in json.loads((dataset_dir / "content" / "skills.json").read_text())["skills"]
    stats = [pack.problems[p] for p in ("ac22d42std1", "a8802f1std1")]
    assert [p.skills for p in stats] == [
        ["two_population_means_with_unknown_standard_deviations", "degrees_of_freedom"]
    ] * 2
    lessons = [lesson for course in pack.courses for lesson in course.lessons]
    objectives = [o for lesson in lessons for o in lesson.learning_objectives]
    assert objectives and all(o.skill.strip() for o in objectives)
    assert all(name.strip() for name in pack.skills)
    assert skill_names(["a", " ", "b", "a", ""]) == ["a", "b"]
