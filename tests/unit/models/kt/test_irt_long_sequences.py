"""IRT batch prediction on long histories: blocked, exact and linear in memory."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from models.kt import InteractionSequence, KTEvent, make_model
from models.kt.irt import IRT, QUERY_BLOCK


def _sequence(rng: np.random.Generator, n: int) -> InteractionSequence:
    return InteractionSequence(rng.integers(1, 11, n), rng.integers(0, 2, n).astype(np.int8))


@pytest.mark.parametrize("name", ["irt1pl", "irt2pl"])
def test_batch_equals_online_across_query_blocks(name: str) -> None:
    rng = np.random.default_rng(0)
    model = make_model(name).fit([_sequence(rng, 300) for _ in range(20)], n_skills=10)
    assert isinstance(model, IRT)
    long = _sequence(rng, 2 * QUERY_BLOCK + model.window + 7)  # several blocks, full windows
    batch = model.predict_proba([long])[0]
    state, online = model.init_state(), []
    for skill, correct in zip(long.skills, long.correct, strict=True):
        online.append(model.predict_next(state, [int(skill)]))
        state = model.update(state, KTEvent((int(skill),), bool(correct)))
    np.testing.assert_allclose(batch, online, atol=1e-12)


def test_a_long_history_needs_memory_linear_in_its_length() -> None:
    rng = np.random.default_rng(1)
    model = make_model("irt1pl").fit([_sequence(rng, 300) for _ in range(20)], n_skills=10)
    long = _sequence(rng, 20_000)  # a (T, T) mask alone would be 400 MB of booleans
    tracemalloc.start()
    try:
        model.predict_proba([long])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MiB"
