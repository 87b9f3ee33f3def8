"""Knowledge-tracing benchmark: our models vs published numbers vs reference implementations.

Protocol (the AKT paper's folds in ``<datasets>/kt``): train on ``train{k}``, select (early
stopping, the few settings of ``kt_support/candidates.py``) on ``valid{k}``, report AUC and
accuracy on ``test{k}``; sequences are cut into chunks of 200 rows, each predicted from its
own rows only. Every (source, model, dataset, fold) result is one small JSON file under
``benchmarks/results/kt/`` (committed, so the table is rebuilt without rerunning); a run skips
what is there, so the full table is built across several runs. Deep models checkpoint every
epoch under ``benchmarks/results/cache/`` and resume mid-training.

    python benchmarks/kt.py                     # everything missing, fold 1 of all datasets first
    python benchmarks/kt.py --models bkt,dkt --datasets assist2009 --folds 1
    python benchmarks/kt.py --refs pybkt        # also the reference implementations
    python benchmarks/kt.py --report            # only rebuild kt.md / kt.json from results
    python benchmarks/kt.py --quick             # CI: 1 fold, data subset, 2 epochs, no refs
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from benchmarks.figures import kt_datasets, kt_figure  # noqa: E402
from benchmarks.kt_support import latency, published, refs, stacking  # noqa: E402
from benchmarks.kt_support.candidates import (  # noqa: E402
    CANDIDATES,
    MAX_LEN,
    candidates,
    may_extend,
    settings_added_since,
)
from benchmarks.outputs import results_dir  # noqa: E402
from features.datasets.kt_folds import DATASETS, KTFold, load_fold, resolve_name  # noqa: E402
from models.kt import DEEP_MODELS, InteractionSequence, make_model  # noqa: E402
from models.kt.data import chunk_sequences, flatten  # noqa: E402
from models.metrics import accuracy, roc_auc  # noqa: E402

RESULTS = ROOT / "results"
RUNS = RESULTS / "kt"
LATENCY_FILE = RESULTS / "kt_latency.json"  # quiet-machine re-measures (--latency)
CACHE = RESULTS / "cache"
QUICK_LEARNERS = 120  # --quick: train learners per dataset (valid/test: a third of that)
ORDER = [
    *("bkt", "pfa", "irt1pl", "irt2pl", "bestlr"),
    *("dkt", "dkvmn", "sakt", "simplekt", "akt", "stacked"),
]
# the stacked model ("stacked", run with --models stacked after its members): members are this
# fold's own runs of STACK_POOL, chosen on valid while their summed query p99 (fold-1 models)
# fits STACK_BUDGET_MS: 5 ms minus 1.5 ms of headroom, as a stack's own p99 exceeded its
# members' summed p99 by 0.6-1.4 ms (combination, caches shared by the members, tail variance)
STACK_POOL = ["dkt", "akt", "simplekt", "sakt", "dkvmn", "irt1pl", "irt2pl", "pfa", "bestlr", "bkt"]
STACK_BUDGET_MS = 3.5
STACK_MAX_REFIT_S = 300.0  # cheap members whose run took longer to fit are left out

QUICK = {
    "max_epochs": 2,
    "d_model": 32,
    "n_heads": 4,
    "hidden_dim": 32,
    "emb_dim": 32,
    "d_ff": 64,
    "final_fc_dim": 32,
}


def dataset_root() -> Path:
    from learnloop.resources import datasets_dir
    from learnloop.settings import get_settings

    return datasets_dir(get_settings())


def run_path(source: str, model: str, dataset: str, fold: int, quick: bool) -> Path:
    base = CACHE / "quick" if quick else RUNS
    return base / source / dataset / model / f"fold{fold}.json"


def subset(fold: KTFold, n: int) -> KTFold:
    return KTFold(
        fold.dataset,
        fold.fold,
        fold.train[:n],
        fold.valid[: n // 3],
        fold.test[: n // 3],
        fold.n_skills,
        fold.n_problems,
    )


def as_rows(seqs: list[Any]) -> list[InteractionSequence]:
    return chunk_sequences(
        [InteractionSequence(s.skills, s.correct, s.problems) for s in seqs], MAX_LEN
    )


def evaluate(model: Any, seqs: list[InteractionSequence]) -> tuple[float, float]:
    preds = np.concatenate(model.predict_proba(seqs))
    labels = flatten(seqs).correct
    return roc_auc(labels, preds), accuracy(labels, preds)


def checkpoint(name: str, fold: KTFold, candidate: int, quick: bool) -> Path:
    """Checkpoint file of a deep model's candidate setting (index into :func:`candidates`):
    the first default setting keeps the plain key, the others (and compact ones) ``-c<k>``."""
    tried = candidates(name, fold.n_skills)
    size = f"-c{candidate + 1}" if candidate or tried is not CANDIDATES[name] else ""
    key = f"{name}-{fold.dataset}-fold{fold.fold}{size}{'-quick' if quick else ''}.pt"
    return CACHE / "checkpoints" / key


def run_ours(
    name: str,
    fold: KTFold,
    quick: bool,
    max_epochs: int | None = None,
    incumbent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit every candidate on train, keep the best on valid, score on test. Given this fold's
    earlier run (``incumbent``), fit only the settings added since and keep that run unless one
    of them is better on valid."""
    if name == "stacked":
        return run_stacked(fold, quick)
    train, valid, test = as_rows(fold.train), as_rows(fold.valid), as_rows(fold.test)
    best: dict[str, Any] | None = None
    started = time.perf_counter()
    tried = candidates(name, fold.n_skills)
    todo = list(range(len(tried)))
    if incumbent is not None:  # the valid AUC to beat
        todo = settings_added_since(name, fold.n_skills, incumbent["when"])
        best = {"model_obj": None, "valid_auc": incumbent["valid_auc"]}
    search_s = 0.0
    for i in todo:
        params = dict(tried[i])
        if name in DEEP_MODELS:
            params["checkpoint_path"] = str(checkpoint(name, fold, i, quick))
            if quick:
                params |= {k: v for k, v in QUICK.items() if k in make_model(name).get_params()}
            if max_epochs:
                params["max_epochs"] = max_epochs
        t0 = time.perf_counter()
        model = make_model(name, **params).fit(
            train, valid, n_skills=fold.n_skills, n_problems=fold.n_problems
        )
        fit_s = time.perf_counter() - t0
        trained = getattr(model, "train_result_", None)  # deep: over resumed sessions too
        search_s += trained.seconds if trained is not None else fit_s
        valid_auc, _ = evaluate(model, valid)
        if best is None or valid_auc > best["valid_auc"]:
            best = {"model_obj": model, "params": params, "valid_auc": valid_auc, "fit_s": fit_s}
    assert best is not None
    extended = {}
    if incumbent is not None:  # older runs lack search_s: their winner's fit_s, a lower bound
        search_s += incumbent.get("search_s", incumbent["fit_s"])
        extended = {"extended_from": incumbent["when"]}
        if best["model_obj"] is None:  # no added setting beat it: its model, trained then
            kept = {"search_s": search_s, "trained_at": trained_at(incumbent), **extended}
            return incumbent | kept
    model = best.pop("model_obj")
    auc, acc = evaluate(model, test)
    out = {"auc": auc, "acc": acc, "train_s": time.perf_counter() - started, **best, **extended}
    out["search_s"] = search_s  # fitting every candidate setting (over sessions when extended)
    result = getattr(model, "train_result_", None)
    if result is not None:
        out |= {
            "epochs": result.epochs,
            "best_epoch": result.best_epoch,
            "epoch_s": result.seconds / max(result.epochs, 1),
            "history": result.history,
        }
        out["params"].pop("checkpoint_path", None)
        out["train_s"] = result.seconds  # the selected setting, over resumed sessions
        stale = result.epochs - result.best_epoch
        if result.epochs >= out["params"]["max_epochs"] and stale <= model.patience:
            out["note"] = (
                f"stopped at the {result.epochs}-epoch budget before early stopping "
                f"(best valid epoch {result.best_epoch}): not converged"
            )
    out["latency"] = latency.measure(model, test, repeats=50 if quick else 300)
    if fold.fold == 1 and not quick:  # kept for --latency (re-measure at normal priority)
        model.save(CACHE / "models" / f"{name}-{fold.dataset}.npz")
    return out


def quiet_latency() -> dict[str, dict[str, Any]]:
    """``{dataset: {model: latency}}`` of the quiet-machine re-measures (empty before any)."""
    return json.loads(LATENCY_FILE.read_text()) if LATENCY_FILE.is_file() else {}


def candidate_indices(name: str, fold: KTFold, params: dict[str, Any]) -> list[int]:
    """Indices into :func:`candidates` of the setting a run's ``params`` came from: the whole
    setting must match (a restart differs from its setting only by ``seed``), apart from what
    ``--quick`` or ``--max-epochs`` override."""
    loose = set(QUICK) | {"max_epochs"}

    def fixed(setting: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in setting.items() if k not in loose}

    return [i for i, c in enumerate(candidates(name, fold.n_skills)) if fixed(c) == fixed(params)]


def fitted_member(
    name: str,
    fold: KTFold,
    quick: bool,
    train: list[InteractionSequence],
    valid: list[InteractionSequence],
) -> tuple[Any, dict[str, Any]] | None:
    """``name`` as its own run on this fold selected it, with that run's result: deep models
    reload their finished checkpoint (no training), cheap ones are refitted on ``train`` /
    ``valid`` (the fold's rows); ``None`` if the run is missing, its checkpoint is gone or a
    refit would be long."""
    path = run_path("ours", name, fold.dataset, fold.fold, quick)
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    params = dict(result["params"])
    if name in DEEP_MODELS:
        saved = [checkpoint(name, fold, i, quick) for i in candidate_indices(name, fold, params)]
        saved = [p for p in saved if p.is_file()]
        if not saved:
            return None
        params["checkpoint_path"] = str(saved[0])
    elif result.get("fit_s", 0.0) > STACK_MAX_REFIT_S:
        return None
    model = make_model(name, **params).fit(
        train, valid, n_skills=fold.n_skills, n_problems=fold.n_problems
    )
    return model, result


def member_latency(name: str, quiet: dict[str, Any], result: dict[str, Any]) -> float:
    """Query p99 (ms) of a member: its entry in ``quiet`` (the dataset's quiet-machine
    re-measures) if there is one, else its run's."""
    measured = quiet.get(name) or result.get("latency") or {}
    return float(measured.get("query_p99_ms", float("inf")))


def run_stacked(fold: KTFold, quick: bool) -> dict[str, Any]:
    """Stack this fold's own member runs: members chosen on valid within the latency budget
    (:mod:`benchmarks.kt_support.stacking`), the combiner fitted on valid, scored on test."""
    from models.kt.ensemble import StackedKT

    train, valid, test = as_rows(fold.train), as_rows(fold.valid), as_rows(fold.test)
    started = time.perf_counter()
    pool = {}
    for name in STACK_POOL:
        got = fitted_member(name, fold, quick, train, valid)
        if got is not None:
            pool[name] = got
    if not pool:
        print(f"[kt] stacked {fold.dataset} fold {fold.fold}: no member runs yet", flush=True)
        return {}
    labels = flatten(valid).correct
    probs = {n: np.concatenate(m.predict_proba(valid)) for n, (m, _) in pool.items()}
    quiet = quiet_latency().get(fold.dataset, {})
    lat = {n: member_latency(n, quiet, r) for n, (_, r) in pool.items()}
    chosen = stacking.forward_select(probs, labels, lat, budget_ms=STACK_BUDGET_MS)
    params = {
        n: {k: v for k, v in pool[n][1]["params"].items() if k != "checkpoint_path"}
        for n in chosen.members
    }
    model = StackedKT(members=chosen.members, member_params=params).fit_combiner(
        [pool[n][0] for n in chosen.members], valid
    )
    auc, acc = evaluate(model, test)
    out = {
        "auc": auc,
        "acc": acc,
        # what training the stack costs: its members' runs plus assembling it
        "train_s": sum(pool[n][1]["train_s"] for n in chosen.members)
        + time.perf_counter()
        - started,
        "params": {"members": chosen.members, "budget_ms": STACK_BUDGET_MS},
        "valid_auc": chosen.valid_auc[-1],
        "selection": {
            "pool": sorted(pool),
            "valid_auc_after_each": chosen.valid_auc,
            "member_query_p99_ms": {n: lat[n] for n in sorted(lat)},
            "over_budget": chosen.over_budget,
        },
        "weights": model.weights_.tolist(),
        "intercept": model.intercept_,
        "member_test_auc": {n: pool[n][1]["auc"] for n in chosen.members},
    }
    out["latency"] = latency.measure(model, test, repeats=50 if quick else 300)
    if fold.fold == 1 and not quick:
        model.save(CACHE / "models" / f"stacked-{fold.dataset}.npz")
    return out


def throughput(args: argparse.Namespace, n_chunks: int) -> None:
    """Seconds for one training epoch over the first ``n_chunks`` train chunks of
    assist2009 fold 1: ours vs pyKT's model classes (same chunks, same thread policy)."""
    from models.kt.deep.trainer import default_threads

    fold = load_fold(args.root, "assist2009_pid", 1)
    train = as_rows(fold.train)[:n_chunks]
    valid = as_rows(fold.valid)[: max(n_chunks // 10, 10)]
    out = RESULTS / "kt_throughput.json"
    table = json.loads(out.read_text()) if out.is_file() else {}
    paper = {"d_model": 256, "d_ff": 1024, "final_fc_dim": 512}  # pyKT's AKT runs at this size
    for name, size in (("dkt", {}), ("sakt", {}), ("akt", {}), ("akt", paper)):
        for source in ("ours", "pykt"):
            key = f"{source}/{name}" + ("-d256" if size else "")
            if key in table or (size and source == "pykt"):
                continue
            if source == "ours":
                params = dict(CANDIDATES[name][0]) | size | {"max_epochs": 1}
                model = make_model(name, **params).fit(
                    train, valid, n_skills=fold.n_skills, n_problems=fold.n_problems
                )
                history = getattr(model, "train_result_").history  # noqa: B009 (deep models)
                row = {"epoch_train_s": history[0]["train_s"]}
            else:
                res = refs.run(
                    "pykt",
                    name,
                    args.root,
                    "assist2009_pid",
                    1,
                    MAX_LEN,
                    extra=["--limit", str(n_chunks), "--max-epochs", "1"],
                )
                if res is None:
                    continue
                row = {"epoch_train_s": res["history"][0]["epoch_s"]}
            row |= {
                "chunks": len(train),
                "rows": int(sum(len(s) for s in train)),
                "threads": default_threads(),
            }
            table[key] = row
            out.write_text(json.dumps(table, indent=1) + "\n")
            print(f"[kt] throughput {key}: {row}", flush=True)


def remeasure_latency(args: argparse.Namespace, models: list[str], datasets: list[str]) -> None:
    """Reload the saved fold-1 models and measure online latency again (run it un-niced on a
    quiet machine: the training runs are niced, which inflates their tail latencies).

    A model without a saved fold-1 model (nor a cheap refit) gets a stand-in: its benchmark
    setting (same sizes and skill count, so the same cost per call) fitted on
    ``QUICK_LEARNERS`` learners (deep models: one epoch) — latency does not depend on
    convergence. Everything goes to ``results/kt_latency.json``;
    the fold-1 result files get the new numbers of their own saved models.
    """
    from models.kt import load_model

    table = quiet_latency()
    for dataset in datasets:
        fold = load_fold(args.root, dataset, 1)
        test = as_rows(fold.test)
        for name in models:
            saved = CACHE / "models" / f"{name}-{dataset}.npz"
            path = run_path("ours", name, dataset, 1, quick=False)
            result = json.loads(path.read_text()) if path.is_file() else None
            cheap = name not in DEEP_MODELS and result and result.get("fit_s", 1e9) < 120
            if result and not saved.is_file() and cheap:  # refit the selected setting
                make_model(name, **result["params"]).fit(
                    as_rows(fold.train), n_skills=fold.n_skills, n_problems=fold.n_problems
                ).save(saved)
            source = "fold-1 model"
            if name == "stacked" and not saved.is_file():
                continue  # no stand-in: its members come from the fold-1 runs
            if not saved.is_file():
                saved = CACHE / "models" / f"{name}-{dataset}-standin.npz"
                source = f"stand-in: benchmark setting fitted on {QUICK_LEARNERS} learners"
                if not saved.is_file():
                    small = subset(fold, QUICK_LEARNERS)
                    params = dict(candidates(name, fold.n_skills)[0])
                    if name in DEEP_MODELS:
                        params["max_epochs"] = 1
                    make_model(name, **params).fit(
                        as_rows(small.train),
                        as_rows(small.valid),
                        n_skills=fold.n_skills,
                        n_problems=fold.n_problems,
                    ).save(saved)
            lat = latency.measure(load_model(saved), test, repeats=args.repeats)
            table.setdefault(dataset, {})[name] = {"model": source, **lat}
            LATENCY_FILE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
            if result and source == "fold-1 model":
                result["latency"] = lat
                path.write_text(json.dumps(result, indent=1, default=float) + "\n")
            print(
                f"[kt] latency {name} {dataset} ({source}): query p50 {lat['query_p50_ms']:.3f} "
                f"p99 {lat['query_p99_ms']:.3f} ms (CPU p99 {lat['query_cpu_p99_ms']:.3f}), "
                f"update p99 {lat['update_p99_ms']:.3f} ms (CPU {lat['update_cpu_p99_ms']:.3f})",
                flush=True,
            )


def run_one(source: str, name: str, dataset: str, fold_k: int, args: argparse.Namespace) -> None:
    """Run and record one (source, model, dataset, fold), unless it is recorded; a recorded run
    of ours that predates settings now searched is extended with them."""
    path = run_path(source, name, dataset, fold_k, args.quick)
    earlier = json.loads(path.read_text()) if path.is_file() else None
    if earlier is not None and (source != "ours" or not may_extend(name, earlier["when"])):
        return
    result: dict[str, Any] | None
    if source == "ours":
        fold = load_fold(args.root, dataset, fold_k)
        added = settings_added_since(name, fold.n_skills, earlier["when"]) if earlier else []
        if earlier is not None and not added:
            return
        extending = f" (extending the {earlier['when']} run with settings {added})" if added else ""
        print(f"[kt] ours {name} {dataset} fold {fold_k}{extending} ...", flush=True)
        result = run_ours(
            name,
            subset(fold, QUICK_LEARNERS) if args.quick else fold,
            args.quick,
            args.max_epochs,
            incumbent=earlier,
        )
    else:
        print(f"[kt] {source} {name} {dataset} fold {fold_k} ...", flush=True)
        result = refs.run(source, name, args.root, dataset, fold_k, MAX_LEN)
    if result is None:
        return
    result |= {
        "source": source,
        "model": name,
        "dataset": dataset,
        "fold": fold_k,
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, default=float) + "\n")
    print(
        f"[kt] {source} {name} {dataset} fold {fold_k}: AUC {result['auc']:.4f} "
        f"ACC {result['acc']:.4f} train {result['train_s']:.1f}s",
        flush=True,
    )


# ---------------------------------------------------------------------- tables
# Deep runs written before this trained on a fixed chunk count per length bucket (short chunks
# over-weighted); later ones on equal-row batches (models/kt/deep/batching.py). Flagged per row.
EQUAL_ROW_BATCHES_SINCE = "2026-11-26T12:15:00Z"


def trained_at(run: dict[str, Any]) -> str:
    """When a run's model was trained: its ``when``, or its earlier run's when that was kept
    through an extension."""
    return str(run.get("trained_at", run.get("when", "")))


def run_notes(runs: list[dict[str, Any]], n_skills: int) -> str | None:
    """The first run's note, which folds predate equal-row batches and which searched fewer
    settings than ``kt_support/candidates.py`` now holds."""
    ours = [r for r in runs if r["source"] == "ours"]
    old = [
        r["fold"]
        for r in ours
        if r["model"] in DEEP_MODELS and trained_at(r) < EQUAL_ROW_BATCHES_SINCE
    ]
    notes = [runs[0].get("note")]
    if old:
        folds = ",".join(map(str, old))
        notes.append(f"fold(s) {folds} trained with fixed-count length buckets (older trainer)")
    added = {
        r["fold"]: len(settings_added_since(r["model"], n_skills, r.get("when", ""))) for r in ours
    }
    if any(added.values()):
        folds = ",".join(str(fold) for fold, n in added.items() if n)
        notes.append(
            f"fold(s) {folds} ran before {max(added.values())} of the settings now searched "
            "were added (not tried there)"
        )
    return "; ".join(n for n in notes if n) or None


def collect(quick: bool) -> dict[str, list[dict[str, Any]]]:
    base = CACHE / "quick" if quick else RUNS
    quiet = {} if quick else quiet_latency()
    table: dict[str, list[dict[str, Any]]] = {}
    for dataset in DATASETS:
        rows: list[dict[str, Any]] = []
        for source_dir in sorted(base.glob(f"*/{dataset}/*")):
            runs = [json.loads(p.read_text()) for p in sorted(source_dir.glob("fold*.json"))]
            if not runs:
                continue
            aucs, accs = [r["auc"] for r in runs], [r["acc"] for r in runs]
            # the quiet-machine re-measure (--latency) where there is one, else fold 1's run
            remeasured = quiet.get(dataset, {}).get(source_dir.name)
            lat = remeasured or runs[0].get("latency", {})
            note = run_notes(runs, DATASETS[dataset].n_skills)
            if remeasured and remeasured.get("model", "").startswith("stand-in"):
                stand_in = "latency measured on a stand-in (same setting, fewer learners)"
                note = f"{note}; {stand_in}" if note else stand_in
            rows.append(
                {
                    "model": source_dir.name,
                    "source": source_dir.parent.parent.name,
                    "auc": statistics.fmean(aucs),
                    "auc_std": statistics.pstdev(aucs) if len(aucs) > 1 else 0.0,
                    "acc": statistics.fmean(accs),
                    "train_s": statistics.fmean(r["train_s"] for r in runs),
                    "n_folds": len(runs),
                    "folds": [r["fold"] for r in runs],
                    "epoch_s": statistics.fmean(r["epoch_s"] for r in runs)
                    if "epoch_s" in runs[0]
                    else None,
                    "epochs": [r.get("epochs") for r in runs] if "epochs" in runs[0] else None,
                    "query_p99_ms": lat.get("query_p99_ms"),
                    "update_p99_ms": lat.get("update_p99_ms"),
                    "query_cpu_p99_ms": lat.get("query_cpu_p99_ms"),
                    "update_cpu_p99_ms": lat.get("update_cpu_p99_ms"),
                    "note": note,
                }
            )
        for model, auc in published.AKT_PAPER.get(dataset, {}).items():
            rows.append(
                {
                    "model": model,
                    "source": "published",
                    "auc": auc,
                    "auc_std": None,
                    "acc": None,
                    "train_s": None,
                    "n_folds": 5,
                    "note": published.CITATION,
                }
            )
        order = {m: i for i, m in enumerate(ORDER)}
        rows.sort(key=lambda r: (order.get(r["model"], 99), r["source"]))
        table[dataset] = rows
    return table


def fmt(value: Any, spec: str = ".4f") -> str:
    return "" if value is None else format(value, spec)


def _auc(r: dict[str, Any] | None) -> str:
    if r is None:
        return ""
    text = fmt(r["auc"])
    if r.get("auc_std"):
        text += f" ± {r['auc_std']:.4f}"
    if r["source"] != "published":
        text += f" ({','.join(map(str, r['folds']))})"
    return text


def markdown(table: dict[str, list[dict[str, Any]]]) -> str:
    """One table per dataset, one line per model: ours | published | reference | time | latency.

    AUC cells read ``mean ± std (folds done)``; train s is the mean wall time per fold.
    """
    lines = []
    for dataset, rows in table.items():
        by: dict[str, dict[str, dict[str, Any]]] = {}
        for r in rows:
            by.setdefault(r["model"], {})[r["source"]] = r
        lines += [
            f"### {dataset}",
            "",
            "| model | ours AUC (folds) | ours ACC | published AUC | reference AUC (folds) "
            "| ours train s | ref train s | ours s/epoch | ref s/epoch | query p99 ms "
            "| update p99 ms | query CPU p99 ms | update CPU p99 ms |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for model in sorted(by, key=lambda m: ORDER.index(m) if m in ORDER else 99):
            src = by[model]
            ours, pub = src.get("ours"), src.get("published")
            ref_name = next((k for k in ("pybkt", "pykt") if k in src), None)
            ref = src.get(ref_name) if ref_name else None
            ref_cell = f"{ref_name}: {_auc(ref)}" if ref else ""
            lines.append(
                f"| {model} | {_auc(ours)} | {fmt(ours and ours['acc'])} "
                f"| {fmt(pub and pub['auc'])} "
                f"| {ref_cell} | {fmt(ours and ours['train_s'], '.1f')} "
                f"| {fmt(ref and ref['train_s'], '.1f')} "
                f"| {fmt(ours and ours.get('epoch_s'), '.1f')} "
                f"| {fmt(ref and ref.get('epoch_s'), '.1f')} "
                f"| {fmt(ours and ours.get('query_p99_ms'), '.3f')} "
                f"| {fmt(ours and ours.get('update_p99_ms'), '.3f')} "
                f"| {fmt(ours and ours.get('query_cpu_p99_ms'), '.3f')} "
                f"| {fmt(ours and ours.get('update_cpu_p99_ms'), '.3f')} |"
            )
        notes = [
            f"- {r['model']} ({r['source']}): {r['note']}"
            for r in rows
            if r.get("note") and r["source"] != "published"
        ]
        lines += [*notes, ""] if notes else [""]
    return "\n".join(lines)


def write_report(quick: bool) -> str:
    table = collect(quick)
    text = markdown(table)
    out = results_dir(quick)
    header = (
        "# Knowledge-tracing benchmark\n\n"
        "Generated by `benchmarks/kt.py`; see `benchmarks/README.md`.\n\n"
        "![Test AUC per model: ours, published, reference](kt.svg)\n\n"
    )
    (out / "kt.md").write_text(header + published.NOTES + "\n\n" + text)
    (out / "kt.json").write_text(json.dumps(table, indent=1, default=float) + "\n")
    if kt_datasets(table):
        (out / "kt.svg").write_text(kt_figure(table))
    return text


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="CI mode: fold 1, data subset, 2 epochs"
    )
    parser.add_argument("--models", default=",".join(ORDER))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--folds", default="1,2,3,4,5")
    parser.add_argument("--refs", default="", help="comma list of references: pybkt, pykt")
    parser.add_argument("--no-ours", action="store_true", help="only the reference runs")
    parser.add_argument(
        "--max-epochs", type=int, default=None, help="epoch budget of the deep models (resumable)"
    )
    parser.add_argument("--report", action="store_true", help="only rebuild the tables")
    parser.add_argument(
        "--latency", action="store_true", help="only re-measure latency of saved fold-1 models"
    )
    parser.add_argument(
        "--repeats", type=int, default=1000, help="--latency: calls measured per model"
    )
    parser.add_argument(
        "--throughput", type=int, default=0, help="only time one epoch on N chunks vs pyKT"
    )
    args = parser.parse_args()
    args.root = dataset_root()
    models = [m for m in args.models.split(",") if m]
    datasets = [resolve_name(d) for d in args.datasets.split(",") if d]
    folds = [1] if args.quick else [int(f) for f in args.folds.split(",")]
    references = [r for r in args.refs.split(",") if r]
    if args.throughput:
        throughput(args, args.throughput)
    elif args.latency:
        remeasure_latency(args, models, datasets)
    elif not args.report:
        for fold in folds:  # fold 1 of everything first, then fold 2, ...
            for name in models:
                for dataset in datasets:
                    if not args.no_ours:
                        run_one("ours", name, dataset, fold, args)
                    for ref in references:
                        if refs.supports(ref, name):
                            run_one(ref, name, dataset, fold, args)
    print(write_report(args.quick))


if __name__ == "__main__":
    main()
