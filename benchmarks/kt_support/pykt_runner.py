"""Train a pykt-toolkit model class (DKT, SAKT, AKT) on one fold; print a JSON result line.

Runs inside benchmarks/.venvs/pykt (pykt-toolkit 0.0.38 from PyPI, torch 2.13.0 CPU). Uses
pyKT's own model classes and loss the way its ``train_model.model_forward`` does, on the same
chunks of ``--max-len`` rows, padded to full length like pyKT's loader; Adam, early stopping on
the valid fold, at most ``--max-epochs`` epochs. pyKT predicts rows 2..L of each chunk (the
first row of a chunk has no prediction), so its AUC is over those rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import accuracy_score, roc_auc_score
from torch.nn.functional import binary_cross_entropy, one_hot

LINES = {"assist2009_pid": 4, "assist2015": 3, "statics": 3}
SIZES = {"assist2009_pid": (110, 16891), "assist2015": (100, 0), "statics": (1223, 0)}
# pyKT-style settings (AKT: the AKT paper's); learning rates as in pyKT's examples.
CONFIG = {
    "dkt": ({"emb_size": 200, "dropout": 0.1}, 1e-3),
    "sakt": (
        {"seq_len": 200, "emb_size": 256, "num_attn_heads": 8, "dropout": 0.2, "num_en": 2},
        1e-3,
    ),
    "akt": (
        {
            "d_model": 256,
            "n_blocks": 1,
            "dropout": 0.05,
            "d_ff": 1024,
            "final_fc_dim": 512,
            "num_attn_heads": 8,
            "kq_same": 1,
            "l2": 1e-5,
        },
        1e-4,
    ),
}


def read(path: Path, n_lines: int, max_len: int, has_pid: bool) -> list[tuple[np.ndarray, ...]]:
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    chunks = []
    for start in range(0, len(lines), n_lines):
        rec = lines[start : start + n_lines]
        skills = np.array(rec[-2].strip().rstrip(",").split(","), dtype=np.int64)
        correct = np.array(rec[-1].strip().rstrip(",").split(","), dtype=np.int64)
        pids = (
            np.array(rec[1].strip().rstrip(",").split(","), dtype=np.int64)
            if has_pid
            else skills * 0
        )
        for s in range(0, len(skills), max_len):
            chunks.append(
                (skills[s : s + max_len] - 1, correct[s : s + max_len], pids[s : s + max_len])
            )
    return chunks


def tensors(chunks: list[tuple[np.ndarray, ...]], max_len: int) -> tuple[torch.Tensor, ...]:
    n = len(chunks)
    c, r, q, m = (np.zeros((n, max_len), dtype=np.int64) for _ in range(4))
    for i, (sk, co, pi) in enumerate(chunks):
        c[i, : len(sk)], r[i, : len(sk)], q[i, : len(sk)], m[i, : len(sk)] = sk, co, pi, 1
    return tuple(torch.from_numpy(x) for x in (c, r, q, m))


def predict(model: torch.nn.Module, name: str, c: torch.Tensor, r: torch.Tensor, q: torch.Tensor):
    num_c = SIZES_NUM_C[0]
    if name == "dkt":
        y = model(c[:, :-1], r[:, :-1])
        return (y * one_hot(c[:, 1:], num_c)).sum(-1), 0.0
    if name == "sakt":
        return model(c[:, :-1], r[:, :-1], c[:, 1:]), 0.0
    y, reg = model(c, r, q)
    return y[:, 1:], reg


SIZES_NUM_C = [0]


def scores(model, name, data, batch):
    model.eval()
    ys, ps = [], []
    with torch.no_grad():
        for i in range(0, len(data[0]), batch):
            c, r, q, m = (x[i : i + batch] for x in data)
            p, _ = predict(model, name, c, r, q)
            sm = m[:, 1:].bool()
            ys.append(r[:, 1:][sm].numpy())
            ps.append(p[sm].numpy())
    y, p = np.concatenate(ys), np.concatenate(ps)
    return float(roc_auc_score(y, p)), float(accuracy_score(y, p > 0.5))


def main() -> None:
    ap = argparse.ArgumentParser()
    for a in ("--root", "--dataset", "--model"):
        ap.add_argument(a, required=True)
    ap.add_argument("--fold", type=int, required=True)
    ap.add_argument("--max-len", type=int, default=200)
    ap.add_argument("--max-epochs", type=int, default=int(os.environ.get("KT_PYKT_EPOCHS", "30")))
    ap.add_argument("--patience", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="first N chunks per split (smoke test)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    from pykt.models.akt import AKT
    from pykt.models.dkt import DKT
    from pykt.models.sakt import SAKT

    num_c, num_q = SIZES[args.dataset]
    SIZES_NUM_C[0] = num_c
    base = Path(args.root) / "kt" / args.dataset
    n, pid = LINES[args.dataset], num_q > 0
    split = {}
    for s in ("train", "valid", "test"):
        chunks = read(base / f"{args.dataset}_{s}{args.fold}.csv", n, args.max_len, pid)
        split[s] = tensors(chunks[: args.limit] if args.limit else chunks, args.max_len)
    params, lr = CONFIG[args.model]
    model = {
        "dkt": lambda: DKT(num_c, **params),
        "sakt": lambda: SAKT(num_c, **params),
        "akt": lambda: AKT(num_c, num_q, **params),
    }[args.model]()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(0)
    batch, best, best_state, stale, history = 64, -1.0, None, 0, []
    began = time.perf_counter()
    train = split["train"]
    for epoch in range(args.max_epochs):
        model.train()
        t0 = time.perf_counter()
        order = torch.from_numpy(rng.permutation(len(train[0])))
        for i in range(0, len(order), batch):
            c, r, q, m = (x[order[i : i + batch]] for x in train)
            p, reg = predict(model, args.model, c, r, q)
            sm = m[:, 1:].bool()
            loss = binary_cross_entropy(p[sm].double(), r[:, 1:][sm].double()) + reg
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_s = time.perf_counter() - t0
        auc, _ = scores(model, args.model, split["valid"], 256)
        history.append({"epoch": epoch + 1, "valid_auc": auc, "epoch_s": epoch_s})
        print(
            f"[pykt {args.model} {args.dataset} fold {args.fold}] epoch {epoch + 1}: "
            f"valid AUC {auc:.4f} ({epoch_s:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
        if auc > best:
            best, stale = auc, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= args.patience:
                break
    train_s = time.perf_counter() - began
    model.load_state_dict(best_state)
    auc, acc = scores(model, args.model, split["test"], 256)
    converged = stale >= args.patience
    print(
        json.dumps(
            {
                "auc": auc,
                "acc": acc,
                "train_s": train_s,
                "epochs": len(history),
                "epoch_s": float(np.mean([h["epoch_s"] for h in history])),
                "history": history,
                "params": {**params, "lr": lr, "batch_size": batch, "threads": args.threads},
                "note": (
                    "early-stopped"
                    if converged
                    else f"stopped at the {args.max_epochs}-epoch budget, not converged"
                )
                + "; pyKT scores rows 2..L of each chunk",
            }
        )
    )


if __name__ == "__main__":
    main()
