"""``learnloop kt``: train and evaluate knowledge-tracing models on the shipped folds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from learnloop.console import CliError, console, progress_bar

MODELS_HELP = "bkt, irt1pl, irt2pl, pfa, bestlr, dkt, sakt, akt, simplekt, dkvmn"
app = typer.Typer(
    help="Knowledge tracing: train and evaluate models on the shipped KT folds.",
    no_args_is_help=True,
)

ModelOpt = Annotated[str, typer.Option("--model", "-m", help=f"Model: {MODELS_HELP}.")]
DatasetOpt = Annotated[
    str, typer.Option("--dataset", "-d", help="assist2009, assist2015 or statics.")
]
FoldOpt = Annotated[int, typer.Option("--fold", "-k", min=1, max=5, help="Fold 1..5.")]


def _load(dataset: str, fold: int) -> Any:
    from features.datasets.kt_folds import load_fold
    from learnloop.resources import datasets_dir
    from learnloop.settings import get_settings

    return load_fold(datasets_dir(get_settings()), dataset, fold)


def _score(model: Any, sequences: list[Any]) -> tuple[float, float]:
    import numpy as np

    from models.kt.data import flatten
    from models.metrics import accuracy, roc_auc

    preds = np.concatenate(model.predict_proba(sequences))
    labels = flatten(sequences).correct
    return roc_auc(labels, preds), accuracy(labels, preds)


def _chunks(sequences: list[Any]) -> list[Any]:
    from models.kt.data import chunk_sequences

    return chunk_sequences(sequences, 200)


@app.command("train")
def train(
    model: ModelOpt = "akt",
    dataset: DatasetOpt = "assist2009",
    fold: FoldOpt = 1,
    epochs: Annotated[
        int | None, typer.Option(min=1, help="Max epochs (deep models; early stopping on valid).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Model file (.npz) to write.")] = None,
) -> None:
    """Fit a model on train{k}, early-stop/select on valid{k}, report test{k} and save it."""
    from models.kt import DEEP_MODELS, FitProgress, make_model

    params: dict[str, Any] = {}
    if epochs is not None:
        if model.lower() not in DEEP_MODELS:
            raise CliError(f"--epochs applies to the deep models ({', '.join(DEEP_MODELS)}) only")
        params["max_epochs"] = epochs
    estimator = make_model(model, **params)  # unknown model -> one-line error
    data = _load(dataset, fold)
    train_seqs, valid_seqs, test_seqs = (_chunks(x) for x in (data.train, data.valid, data.test))
    with progress_bar(f"training {model} on {data.dataset} fold {fold}") as advance:

        def report(p: FitProgress) -> None:
            advance(1)
            if p.done == p.total and "valid_auc" in p.metrics:
                console.print(f"{p.stage}: valid AUC {p.metrics['valid_auc']:.4f}")

        estimator.fit(
            train_seqs,
            valid_seqs,
            n_skills=data.n_skills,
            n_problems=data.n_problems,
            progress=report,
        )
    auc, acc = _score(estimator, test_seqs)
    console.print(f"{model} {data.dataset} fold {fold}: test AUC {auc:.4f}, accuracy {acc:.4f}")
    from learnloop.settings import get_settings

    default = get_settings().data_dir / "models" / "kt" / f"{model}-{data.dataset}-fold{fold}.npz"
    path = out or default
    console.print(f"saved {estimator.save(path)}")


@app.command("eval")
def evaluate(
    model_file: Annotated[Path, typer.Argument(help="A model file written by `kt train`.")],
    dataset: DatasetOpt = "assist2009",
    fold: FoldOpt = 1,
    split: Annotated[str, typer.Option(help="test or valid.")] = "test",
) -> None:
    """Evaluate a saved model on a split of a fold (AUC and accuracy)."""
    from models.kt import load_model

    if split not in ("test", "valid"):
        raise CliError(f"--split must be test or valid, got {split!r}")
    estimator = load_model(model_file)
    data = _load(dataset, fold)
    with console.status(f"evaluating on {data.dataset} {split}{fold}"):
        auc, acc = _score(estimator, _chunks(getattr(data, split)))
    console.print(
        f"{estimator.name} {data.dataset} {split}{fold}: AUC {auc:.4f}, accuracy {acc:.4f}"
    )


@app.command("models")
def models() -> None:
    """List the available models."""
    from models.kt import DEEP_MODELS, MODEL_NAMES

    for name in MODEL_NAMES:
        kind = "torch" if name in DEEP_MODELS else "numpy/scikit-learn"
        console.print(f"{name}\t{'ensemble of other models' if name == 'stacked' else kind}")
