"""RecBole's SASRec on the rec benchmark's sequences; runs inside benchmarks/.venvs/recbole.

Called by ``benchmarks/rec.py`` (it lives in a subfolder so that ``make bench-quick`` does not
run it directly) with ``--data <folder with assist09/assist09.inter>``. RecBole's own
leave-one-out split ordered by position (``LS: valid_and_test``, ``order: TO``) holds out the
same last (test) and second-to-last (validation) items; full ranking masks the learner's
history, as in rec.py. Writes a JSON list of result rows to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--models", default="SASRec")
    args = parser.parse_args()

    import torch
    from recbole.quick_start import run_recbole

    torch.set_num_threads(1)
    # RecBole 1.2 reloads its own best checkpoint with torch.load, whose default became
    # weights_only=True in torch 2.6; the file is RecBole's own, written a moment earlier.
    original_load = torch.load
    torch.load = lambda *a, **k: original_load(*a, **{**k, "weights_only": False})
    rows = []
    for model in args.models.split(","):
        config = {
            "data_path": args.data,
            "dataset": "assist09",
            "USER_ID_FIELD": "user_id",
            "ITEM_ID_FIELD": "item_id",
            "TIME_FIELD": "timestamp",
            "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
            "eval_args": {
                "split": {"LS": "valid_and_test"},
                "order": "TO",
                "mode": "full",
                "group_by": "user",
            },
            "metrics": ["Recall", "NDCG"],
            "topk": [10],
            "valid_metric": "NDCG@10",
            "train_neg_sample_args": None,
            "loss_type": "CE",
            "epochs": 2 if args.quick else 12,
            "stopping_step": 2,
            "eval_step": 1 if args.quick else 2,
            "train_batch_size": 256,
            "eval_batch_size": 512,
            "MAX_ITEM_LIST_LENGTH": 50,
            "device": "cpu",
            "use_gpu": False,
            "seed": 0,
            "reproducibility": True,
            "show_progress": False,
            "save_dataset": False,
            "checkpoint_dir": str(Path(args.out).parent / "saved"),
            "log_wandb": False,
        }
        started = time.perf_counter()
        result = run_recbole(model=model, config_dict=config)
        seconds = time.perf_counter() - started
        test = result["test_result"]
        rows.append(
            {
                "model": f"RecBole {model}",
                "kind": "reference",
                "ndcg10": float(test["ndcg@10"]),
                "recall10": float(test["recall@10"]),
                "coverage10": float("nan"),
                "fit_seconds": seconds,
                "params": {"epochs": config["epochs"], "loss": "CE (full softmax)", "max_len": 50},
                "note": "RecBole's own split/eval (same held-out items); time includes evaluation",
            }
        )
    Path(args.out).write_text(json.dumps(rows))


if __name__ == "__main__":
    main()
