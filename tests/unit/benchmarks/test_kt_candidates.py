"""The KT benchmark's candidate settings stay within the online query budget."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from testkit.kt import sample_bkt, split

from benchmarks import kt
from benchmarks.kt_support import candidates as space
from features.datasets.kt_folds import KTFold


def _work(params: dict[str, Any], n_skills: int) -> int:
    return n_skills * int(params.get("n_heads", 8)) * int(params.get("max_len", space.MAX_LEN))


def test_akt_heads_are_halved_until_the_query_work_fits() -> None:
    settings = space.candidates("akt", 110)
    assert len(settings) == len(space.CANDIDATES["akt"])
    for wide, given in zip(settings, space.CANDIDATES["akt"], strict=True):
        assert wide["n_heads"] == 4
        assert _work(wide, 110) <= space.MONOTONIC_WORK < _work(wide | {"n_heads": 8}, 110)
        assert {k: v for k, v in wide.items() if k != "n_heads"} == given
    assert {many["n_heads"] for many in space.candidates("akt", 400)} == {2}


def test_settings_within_the_work_are_kept_as_they_are() -> None:
    assert space.candidates("akt", 100) is space.CANDIDATES["akt"]
    assert space.candidates("akt", 1223) == space.COMPACT_CANDIDATES["akt"]
    assert space.candidates("sakt", 110) is space.CANDIDATES["sakt"]


def test_heads_never_drop_below_one() -> None:
    params = space.within_monotonic_work({"n_heads": 2, "max_len": 200}, 100_000)
    assert params["n_heads"] == 1


def test_a_run_finds_the_checkpoint_of_its_own_setting_not_of_a_restart() -> None:
    fold = KTFold("statics", 1, [], [], [], 1223, 0)
    settings = space.candidates("akt", fold.n_skills)
    restart = next(i for i, c in enumerate(settings) if c.get("seed"))
    without_seed = {k: v for k, v in settings[restart].items() if k != "seed"}
    base = settings.index(without_seed)
    # as a run's json stores them: through JSON, with --max-epochs overriding the budget
    for i in (restart, base):
        stored = json.loads(json.dumps(settings[i] | {"max_epochs": 5}))
        assert kt.candidate_indices("akt", fold, stored) == [i]
    assert kt.candidate_indices("akt", fold, {"d_model": 999}) == []


def test_runs_written_before_a_setting_joined_the_search_are_flagged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(space, "ADDED", {"akt": {1: "2026-12-02T00:00:00Z"}})
    before, after = "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z"  # both after equal-row batches
    assert space.settings_added_since("akt", 110, before) == [1]
    assert space.settings_added_since("akt", 110, after) == []
    assert space.settings_added_since("akt", 1223, before) == []  # the compact set is another
    assert space.settings_added_since("dkt", 110, before) == []
    runs = [
        {"source": "ours", "model": "akt", "fold": fold, "when": when}
        for fold, when in ((1, after), (2, before), (3, before))
    ]
    assert kt.run_notes(runs, 110) == (
        "fold(s) 2,3 ran before 1 of the settings now searched were added (not tried there)"
    )
    assert kt.run_notes(runs[:1], 110) is None
    # extended since, its older-trainer model kept: the trainer flag follows when it was trained
    kept = runs[0] | {"trained_at": "2026-11-25T00:00:00Z"}
    assert kt.run_notes([kept], 110) == (
        "fold(s) 1 trained with fixed-count length buckets (older trainer)"
    )


def _fold() -> KTFold:
    """A small fold of BKT learners on 3 skills (testkit's sampler)."""
    params = {"prior": [0.2] * 3, "learn": [0.2] * 3, "forget": [0.0] * 3}
    params |= {"guess": [0.2] * 3, "slip": [0.1] * 3}
    train, valid, test = split(sample_bkt(params, n_learners=100, length=12))
    return KTFold("synthetic", 2, train, valid, test, 3, 0)  # kt.as_rows reads any sequence


def test_a_run_that_predates_a_setting_is_extended_with_that_setting_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(space, "ADDED", {"bkt": {1: "2026-12-02T00:00:00Z"}})
    earlier = {"auc": 0.5, "valid_auc": 0.99, "fit_s": 7.0, "when": "2026-12-01T00:00:00Z"}
    earlier["params"] = {"forgetting": False}
    assert space.may_extend("bkt", earlier["when"])
    assert not space.may_extend("bkt", "2026-12-03T00:00:00Z")
    assert not space.may_extend("dkt", earlier["when"])
    fold = _fold()
    kept = kt.run_ours("bkt", fold, quick=False, incumbent=earlier)
    assert kept["auc"] == 0.5 and kept["params"] == {"forgetting": False}  # nothing beat it
    assert kept["extended_from"] == earlier["when"] and kept["search_s"] > 7.0
    assert kt.trained_at(kept) == earlier["when"]
    beaten = kt.run_ours("bkt", fold, quick=False, incumbent=earlier | {"valid_auc": 0.0})
    assert beaten["params"] == {"forgetting": True}  # the only setting fitted
    assert 0.6 < beaten["auc"] < 1.0 and beaten["valid_auc"] > 0.6
    assert beaten["extended_from"] == earlier["when"] and beaten["search_s"] > 7.0
    assert "trained_at" not in beaten  # trained now: its own when


def test_the_benchmark_extends_only_runs_that_predate_a_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(space, "ADDED", {"bkt": {1: "2026-12-02T00:00:00Z"}})
    monkeypatch.setattr(kt, "RUNS", tmp_path)
    loads: list[int] = []

    def load_fold(root: Path, dataset: str, fold: int) -> KTFold:
        loads.append(fold)
        return _fold()

    monkeypatch.setattr(kt, "load_fold", load_fold)
    args = argparse.Namespace(quick=False, root=tmp_path, max_epochs=None)
    earlier = {"auc": 0.5, "acc": 0.5, "valid_auc": 0.0, "fit_s": 1.0, "params": {}}
    for fold, when in ((2, "2026-12-01T00:00:00Z"), (3, "2026-12-03T00:00:00Z")):
        path = kt.run_path("ours", "bkt", "synthetic", fold, quick=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(earlier | {"when": when}))
    for fold in (2, 3):
        kt.run_one("ours", "bkt", "synthetic", fold, args)
    assert loads == [2]  # the up-to-date run is not even loaded
    extended = json.loads(kt.run_path("ours", "bkt", "synthetic", 2, quick=False).read_text())
    assert extended["params"] == {"forgetting": True}
    assert extended["extended_from"] == "2026-12-01T00:00:00Z" != extended["when"]
    kept = json.loads(kt.run_path("ours", "bkt", "synthetic", 3, quick=False).read_text())
    assert kept == earlier | {"when": "2026-12-03T00:00:00Z"}
