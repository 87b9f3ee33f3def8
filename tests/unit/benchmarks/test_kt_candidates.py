"""The KT benchmark's candidate settings stay within the online query budget."""

from __future__ import annotations

import json
from typing import Any

from benchmarks import kt
from benchmarks.kt_support import candidates as space
from features.datasets.kt_folds import KTFold


def _work(params: dict[str, Any], n_skills: int) -> int:
    return n_skills * int(params.get("n_heads", 8)) * int(params.get("max_len", space.MAX_LEN))


def test_akt_heads_are_halved_until_the_query_work_fits() -> None:
    (wide,) = space.candidates("akt", 110)
    assert wide["n_heads"] == 4
    assert _work(wide, 110) <= space.MONOTONIC_WORK < _work(wide | {"n_heads": 8}, 110)
    assert {k: v for k, v in wide.items() if k != "n_heads"} == space.CANDIDATES["akt"][0]
    (many,) = space.candidates("akt", 400)
    assert many["n_heads"] == 2


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
