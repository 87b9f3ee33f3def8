"""Fit pyBKT (default model, one fit per skill) on one fold; print a JSON result line.

Runs inside benchmarks/.venvs/pybkt (numpy<2). Same rows and chunks of ``--max-len`` as ours:
every chunk is its own "user"; a multi-skill attempt is one row per skill.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pyBKT.models import Model
from sklearn.metrics import accuracy_score, roc_auc_score

LINES = {"assist2009_pid": 4, "assist2015": 3, "statics": 3}


def read(path: Path, n_lines: int, max_len: int) -> pd.DataFrame:
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    rows = []
    for r, start in enumerate(range(0, len(lines), n_lines)):
        rec = lines[start : start + n_lines]
        skills = [int(x) for x in rec[-2].strip().rstrip(",").split(",")]
        correct = [int(x) for x in rec[-1].strip().rstrip(",").split(",")]
        for t, (s, c) in enumerate(zip(skills, correct, strict=True)):
            rows.append((f"{r}-{t // max_len}", str(s), c))
    df = pd.DataFrame(rows, columns=["user_id", "skill_name", "correct"])
    df["order_id"] = np.arange(len(df))
    return df


def main() -> None:
    ap = argparse.ArgumentParser()
    for a in ("--root", "--dataset", "--model"):
        ap.add_argument(a, required=True)
    ap.add_argument("--fold", type=int, required=True)
    ap.add_argument("--max-len", type=int, default=200)
    args = ap.parse_args()
    base = Path(args.root) / "kt" / args.dataset
    n = LINES[args.dataset]
    train = read(base / f"{args.dataset}_train{args.fold}.csv", n, args.max_len)
    test = read(base / f"{args.dataset}_test{args.fold}.csv", n, args.max_len)
    model = Model(seed=42, num_fits=1)
    t0 = time.perf_counter()
    model.fit(data=train)
    train_s = time.perf_counter() - t0
    known = test["skill_name"].isin(set(train["skill_name"]))
    preds = np.full(len(test), train["correct"].mean())
    if known.any():  # pyBKT returns its rows regrouped: align on order_id, not position
        out = model.predict(data=test[known].copy()).set_index("order_id")
        order = test.loc[known, "order_id"].to_numpy()
        preds[known.to_numpy()] = out.loc[order, "correct_predictions"].to_numpy()
    y = test["correct"].to_numpy()
    print(
        json.dumps(
            {
                "auc": float(roc_auc_score(y, preds)),
                "acc": float(accuracy_score(y, preds > 0.5)),
                "train_s": train_s,
                "params": {"num_fits": 1, "seed": 42, "forgets": False},
                "note": f"pyBKT default model; {int((~known).sum())} test rows of unseen "
                "skills get the train mean",
            }
        )
    )


if __name__ == "__main__":
    main()
