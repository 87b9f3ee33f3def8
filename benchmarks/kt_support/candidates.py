"""The KT benchmark's search space: the settings tried per model, best on valid kept.

Every setting of a model is fitted on the train fold and the best valid AUC is kept (never the
test fold). Deep models have a few settings (their cost); their epochs are chosen by early
stopping on valid. Sizes are bounded by the online query budget of issue 4 (mastery of every
skill + next item, CPU p99 <= 5 ms): compact sizes above ``MANY_SKILLS`` skills, AKT's heads
halved to ``MONOTONIC_WORK``.
"""

from __future__ import annotations

from typing import Any

from models.kt.deep.akt import AKT

MAX_LEN = 200  # the protocol's chunk length, so every deep model's window
THREADS = None  # models.kt.deep.trainer.default_threads(): free cores, 1 on a busy machine
DEEP = {"batch_size": 32, "max_epochs": 30, "patience": 2, "num_threads": THREADS}
CANDIDATES: dict[str, list[dict[str, Any]]] = {
    "bkt": [{"forgetting": False}, {"forgetting": True}],
    "pfa": [{}],
    "irt1pl": [{}],
    "irt2pl": [{}],
    "bestlr": [{}],
    # second: pyKT's DKT setting (embedding = hidden = 200, dropout 0.1, lr 1e-3, batch 64)
    "dkt": [
        {"emb_dim": 100, "hidden_dim": 200, "lr": 2e-3, **DEEP},
        {"emb_dim": 200, "hidden_dim": 200, "dropout": 0.1, "lr": 1e-3, **DEEP, "batch_size": 64},
    ],
    # second: the residual from the last interaction, not the question (seewoo5/KT's SAKT);
    # then both with dropout 0.4 (assist2015 fold 1, valid AUC: 0.7168 / 0.7165 at 0.2 ->
    # 0.7190 / 0.7200; heavy dropout is what lifted SAKT on statics); last, the setting that
    # won on every fold, validated and kept as a moving average of its weights (assist2015,
    # valid AUC higher on each of the 5 folds, +0.0005 to +0.0014); the average trails the
    # live weights, so it gets 60 epochs (assist2009: still improving at 30 on 4 folds)
    "sakt": [
        {"d_model": 128, "n_heads": 8, "lr": 1e-3, **DEEP} | variant
        for variant in (
            {},
            {"residual": "interaction"},
            {"dropout": 0.4},
            {"dropout": 0.4, "residual": "interaction"},
            {"dropout": 0.4, "residual": "interaction", "ema": 0.999, "max_epochs": 60},
        )
    ],
    "simplekt": [{"d_model": 128, "lr": 1e-3, **DEEP}],
    # 100 epochs: with equal-row batches every fold was still improving at 30 (best epoch 29-30)
    "dkvmn": [{"d_model": 64, "memory_size": 50, "lr": 1e-3, **(DEEP | {"max_epochs": 100})}],
    # AKT at the paper's size (d_model 256, d_ff 1024, head 512) costs ~4x more per row on
    # CPU; half width keeps 8 heads and the architecture (see benchmarks/README.md). Second:
    # the same size learning slower, toward the paper's lr 1e-5 and batch 24 (assist2009 fold
    # 1, valid AUC: lr 1e-3 0.8219, 3e-4 0.8213, 1e-4 0.8243 at epoch 31 and still rising)
    "akt": [
        {"d_model": 128, "d_ff": 512, "final_fc_dim": 256, "lr": 1e-3, **DEEP},
        {
            "d_model": 128,
            "d_ff": 512,
            "final_fc_dim": 256,
            "lr": 1e-4,
            **DEEP,
            "batch_size": 24,
            "max_epochs": 100,
            "patience": 3,
        },
    ],
}
# When a setting joined a model's search (index into CANDIDATES[model]): a run written before
# did not try it; the table says so until kt.py runs that fold again, which fits only the
# settings added and keeps the earlier winner unless one of them beats it on valid.
ADDED: dict[str, dict[int, str]] = {"akt": {1: "2026-11-28T03:15:00Z"}}
# Many-skill datasets: the online query (issue 4: mastery of every skill + next item, CPU p99
# <= 5 ms) costs one attention read per skill, so for datasets with more than MANY_SKILLS skills
# the candidates are only sizes whose query meets that budget, measured by
# kt_support/latency.py on an untrained network of the size with 1223 skills (latency does not
# depend on the weights); among them the best valid AUC is kept, as everywhere (never the test
# fold). The default sizes measured 7-58 ms at 1223 skills (statics) and 1-6 ms at 100-110.
MANY_SKILLS = 500
AKT_COMPACT = {
    "d_model": 32,
    "n_heads": 1,
    "d_ff": 64,
    "final_fc_dim": 32,
    "final_fc_dim2": 32,
    "max_len": 64,
}
AKT_COMPACT_TRAINED = {**AKT_COMPACT, "lr": 3e-3, **(DEEP | {"max_epochs": 60})}
COMPACT_CANDIDATES: dict[str, list[dict[str, Any]]] = {
    "sakt": [
        {"d_model": 64, "n_heads": 4, "lr": 1e-3, **DEEP},
        {"d_model": 64, "n_heads": 2, "lr": 1e-3, **DEEP},
        {"d_model": 64, "n_heads": 4, "lr": 1e-3, "residual": "interaction", **DEEP},
        {"d_model": 64, "n_heads": 2, "lr": 1e-3, "residual": "interaction", **DEEP},
        # heavy dropout: 1223 skills on 333 learners overfit (fold-1 valid AUC 0.773 at dropout
        # 0.2 -> 0.814 at 0.85; grid in benchmarks/README.md); slower to converge, 60 epochs
        {"d_model": 64, "n_heads": 4, "lr": 3e-3, "dropout": 0.85, **(DEEP | {"max_epochs": 60})},
        {"d_model": 64, "n_heads": 2, "lr": 3e-3, "dropout": 0.8, **(DEEP | {"max_epochs": 60})},
    ],
    # 50 epochs: the d 32 setting was still improving at 30 (~6 s per epoch)
    "simplekt": [
        {
            "d_model": 64,
            "n_heads": 2,
            "d_ff": 128,
            "final_fc_dim": 64,
            "n_blocks": 1,
            "lr": 1e-3,
            **(DEEP | {"max_epochs": 50}),
        },
        {
            "d_model": 32,
            "n_heads": 2,
            "d_ff": 64,
            "final_fc_dim": 64,
            "lr": 1e-3,
            **(DEEP | {"max_epochs": 50}),
        },
    ],
    # monotonic attention costs ~15 element-wise passes per (skill, head, history row): one
    # head and a 64-row window (the state holds 32-63 rows) are needed to fit the budget, also
    # with the window full (63 rows: p99 3.6 ms). Not within it: d_ff 128 and a 64-wide head
    # (5.2 ms with 63 rows), the 100-row window (6.1-6.5 ms), d 64 (5.7-7.1), 2 heads. The
    # second and third: the same size trained harder and regularised more (fold-1 valid AUC
    # 0.815 -> 0.822; grid in benchmarks/README.md). Then the same two from seeds 1 and 2
    # (restarts, best on valid as for every candidate): at this size a fit takes about a minute
    # and the seed moves fold-1 valid AUC by about 0.002, as much as the dropout or weight
    # decay settings tried around it.
    "akt": [
        {**AKT_COMPACT, "lr": 1e-3, **DEEP},
        *(AKT_COMPACT_TRAINED | {"dropout": dropout} for dropout in (0.2, 0.3)),
        *(
            AKT_COMPACT_TRAINED | {"dropout": dropout, "seed": seed}
            for seed in (1, 2)
            for dropout in (0.2, 0.3)
        ),
    ],
}


# AKT's all-skill query runs its monotonic attention's element-wise passes over every (skill,
# head, history row) and that work sets its cost (kt_support/latency.py, quiet machine, query
# p99): 100 skills x 8 heads x 200 rows = 160k -> 4.40 ms, 110 x 8 x 200 = 176k -> 5.21 ms
# (over the 5 ms budget), 1223 x 1 x 64 = 78k -> 2.38 ms. Candidates above this work get half
# the heads (same width) until they fit.
MONOTONIC_WORK = 160_000


def within_monotonic_work(params: dict[str, Any], n_skills: int) -> dict[str, Any]:
    """``params`` with AKT's heads halved until skills x heads x window <= MONOTONIC_WORK."""
    given = int(params.get("n_heads", AKT.default_params()["n_heads"]))
    heads, window = given, int(params.get("max_len", MAX_LEN))
    while heads > 1 and n_skills * heads * window > MONOTONIC_WORK:
        heads //= 2
    return params if heads == given else {**params, "n_heads": heads}


def uses_compact(name: str, n_skills: int) -> bool:
    """Whether ``name`` is searched over its compact sizes on ``n_skills`` skills."""
    return n_skills > MANY_SKILLS and name in COMPACT_CANDIDATES


def candidates(name: str, n_skills: int) -> list[dict[str, Any]]:
    """The configurations tried for ``name`` on a dataset of ``n_skills`` skills (best on valid
    kept): the compact sizes within the online budget when there are more than MANY_SKILLS;
    AKT's heads within MONOTONIC_WORK."""
    if uses_compact(name, n_skills):
        return COMPACT_CANDIDATES[name]
    if name == "akt":
        fitted = [within_monotonic_work(c, n_skills) for c in CANDIDATES[name]]
        return CANDIDATES[name] if fitted == CANDIDATES[name] else fitted
    return CANDIDATES[name]


def _added_after(name: str, when: str) -> list[int]:
    """Indices of ``ADDED[name]`` that joined the search after ``when`` (ISO UTC)."""
    return sorted(i for i, since in ADDED.get(name, {}).items() if when < since)


def settings_added_since(name: str, n_skills: int, when: str) -> list[int]:
    """Indices into :func:`candidates` of the settings ``candidates(name, n_skills)`` holds that
    joined the search after a run written at ``when`` (ISO UTC): what that run did not try."""
    return [] if uses_compact(name, n_skills) else _added_after(name, when)


def may_extend(name: str, when: str) -> bool:
    """Whether some setting of ``name`` joined its search after ``when`` (on some dataset):
    the cheap check before loading a fold for :func:`settings_added_since`."""
    return bool(_added_after(name, when))
