"""The contract every KT model must meet (cheap settings; learning quality in tests/model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from testkit.kt import simulator_sequences, split

from models.kt import (
    InteractionSequence,
    KTEvent,
    KTModel,
    NotFittedError,
    UnknownModelError,
    load_model,
    make_model,
)

TINY = {"max_epochs": 1, "num_threads": 1, "batch_size": 16}
ATTN = {"d_model": 16, "n_heads": 2, "d_ff": 16}
FAST: dict[str, dict[str, object]] = {
    "bkt": {"n_restarts": 1, "max_iter": 20},
    "pfa": {},
    "bestlr": {"max_iter": 50},
    "irt1pl": {"max_iter": 50},
    "irt2pl": {"max_iter": 50},
    "dkt": {**TINY, "emb_dim": 8, "hidden_dim": 8},
    "sakt": {**TINY, "d_model": 16, "n_heads": 2},
    "simplekt": {**TINY, **ATTN, "final_fc_dim": 16},
    "akt": {**TINY, **ATTN, "final_fc_dim": 16},
    "dkvmn": {**TINY, "d_model": 8, "memory_size": 5, "final_fc_dim": 8},
}
FAST["stacked"] = {
    "members": ("dkt", "irt1pl"),
    "member_params": {"dkt": FAST["dkt"], "irt1pl": FAST["irt1pl"]},
}


@pytest.fixture(scope="module")
def data() -> list[list[InteractionSequence]]:
    return split(simulator_sequences(n_learners=120, events=40))


@pytest.fixture(scope="module", params=sorted(FAST))
def fitted(request: pytest.FixtureRequest, data: list[list[InteractionSequence]]) -> KTModel:
    train, valid, _ = data
    return make_model(request.param, **FAST[request.param]).fit(train, valid)


def test_predict_proba_shapes_and_range(
    fitted: KTModel, data: list[list[InteractionSequence]]
) -> None:
    test = data[2]
    preds = fitted.predict_proba(test)
    assert [len(p) for p in preds] == [len(s) for s in test]
    flat = np.concatenate(preds)
    assert np.all((flat > 0) & (flat < 1))


def test_save_load_round_trip_is_identical(
    fitted: KTModel, data: list[list[InteractionSequence]], tmp_path: Path
) -> None:
    path = fitted.save(tmp_path / "model")
    again = load_model(path)
    assert type(again) is type(fitted)
    for a, b in zip(fitted.predict_proba(data[2]), again.predict_proba(data[2]), strict=True):
        np.testing.assert_array_equal(a, b)
    state = fitted.state_from_history(data[2][0])
    assert again.mastery(again.state_from_history(data[2][0])) == fitted.mastery(state)
    for diagnostic in ("n_iter_", "loglik_", "train_result_"):  # what the fit reported
        if hasattr(fitted, diagnostic):
            assert getattr(again, diagnostic) == getattr(fitted, diagnostic), diagnostic


def test_online_state_matches_batch_prediction(
    fitted: KTModel, data: list[list[InteractionSequence]]
) -> None:
    seq = data[2][1]
    assert seq.problems is not None
    n = 12
    prefix = InteractionSequence(seq.skills[:n], seq.correct[:n], seq.problems[:n])
    batch = fitted.predict_proba(
        [InteractionSequence(seq.skills[: n + 1], seq.correct[: n + 1], seq.problems[: n + 1])]
    )[0]
    state = fitted.state_from_history(prefix)
    online = fitted.predict_next(state, [int(seq.skills[n])], int(seq.problems[n]))
    assert online == pytest.approx(batch[n], abs=1e-5)


def test_state_serialises_to_json(fitted: KTModel, data: list[list[InteractionSequence]]) -> None:
    state = fitted.state_from_history(data[2][0])
    restored = fitted.state_from_dict(json.loads(json.dumps(state.to_dict())))
    assert fitted.mastery(restored) == pytest.approx(fitted.mastery(state))


def test_mastery_keys_come_in_the_order_asked(
    fitted: KTModel, data: list[list[InteractionSequence]]
) -> None:
    state = fitted.state_from_history(data[2][0])
    assert list(fitted.mastery(state)) == list(range(1, fitted.n_skills_ + 1))
    assert list(fitted.mastery(state, [3, 1, 999, 2, 1])) == [3, 1, 999, 2]


def test_cold_start_never_raises(fitted: KTModel) -> None:
    empty = fitted.state_from_history(
        InteractionSequence(np.zeros(0, np.int64), np.zeros(0, np.int8))
    )
    mastery = fitted.mastery(empty)
    assert set(mastery) == set(range(1, fitted.n_skills_ + 1))
    assert all(0.0 <= v <= 1.0 for v in mastery.values())
    state = fitted.update(fitted.init_state(), KTEvent((10_000,), True, problem=99_999))
    state = fitted.update(state, KTEvent((1, 2), False, problem=3))
    assert 0.0 < fitted.predict_next(state, [10_000], 99_999) < 1.0
    assert 0.0 < fitted.predict_next(state, [1], None) < 1.0
    assert 0.0 <= fitted.mastery(state, [10_000, 0])[10_000] <= 1.0


def test_unfitted_model_and_unknown_name_raise_domain_errors() -> None:
    with pytest.raises(NotFittedError):
        make_model("bkt").init_state()
    with pytest.raises(UnknownModelError, match="known: bkt"):
        make_model("nope")
