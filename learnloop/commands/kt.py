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
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        metavar="KEY=VALUE",
        help="Hyper-parameter override, repeatable: -p d_model=128 -p n_heads=4 "
        "(`learnloop kt models MODEL` lists them with their defaults).",
    ),
]
TRUE, FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _coerce(key: str, raw: str, default: Any) -> Any:
    """``raw`` as the type of the parameter's default (JSON where the default is not a scalar)."""
    import json

    text = raw.strip()
    if text.lower() == "none" and default is None:
        return None
    try:
        if isinstance(default, bool):
            if text.lower() not in TRUE + FALSE:
                raise ValueError
            return text.lower() in TRUE
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, str):
            return text
        if default is None:  # optional: a number if it reads as one, else the text
            for kind in (int, float):
                try:
                    return kind(text)
                except ValueError:
                    pass
            return text
        return json.loads(text)
    except ValueError:
        raise CliError(f"--param {key}={raw}: expected {_kind(default)}") from None


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "an integer"
    return "a number" if isinstance(default, float) else "JSON"


def parse_params(model: str, pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` overrides of ``model``'s hyper-parameters, typed like their defaults."""
    from models.kt import make_model

    defaults = make_model(model).get_params()  # unknown model -> one-line error
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CliError(f"--param {pair!r}: expected KEY=VALUE")
        if key not in defaults:
            raise CliError(
                f"--param {key}: not a parameter of {model}; its parameters: "
                + ", ".join(sorted(defaults))
            )
        out[key] = _coerce(key, raw, defaults[key])
    return out


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
    param: ParamOpt = None,
) -> None:
    """Fit a model on train{k}, early-stop/select on valid{k}, report test{k} and save it."""
    from models.kt import DEEP_MODELS, FitProgress, make_model

    params = parse_params(model, param or [])
    if epochs is not None:
        if model.lower() not in DEEP_MODELS:
            raise CliError(f"--epochs applies to the deep models ({', '.join(DEEP_MODELS)}) only")
        if "max_epochs" in params:
            raise CliError("give the epoch budget once: --epochs or --param max_epochs")
        params["max_epochs"] = epochs
    estimator = make_model(model, **params)
    if params:
        given = ", ".join(f"{k}={v}" for k, v in params.items())
        console.print(f"{model}: {given}; the rest default (`learnloop kt models {model}`)")
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
def models(
    model: Annotated[
        str | None, typer.Argument(help="Show this model's hyper-parameters and defaults.")
    ] = None,
) -> None:
    """List the available models, or one model's hyper-parameters with their defaults."""
    from models.kt import DEEP_MODELS, MODEL_NAMES, make_model

    if model is not None:
        for key, value in sorted(make_model(model).get_params().items()):
            console.print(f"{key} = {value!r}", highlight=False)
        return
    for name in MODEL_NAMES:
        kind = "torch" if name in DEEP_MODELS else "numpy/scikit-learn"
        console.print(f"{name}\t{'ensemble of other models' if name == 'stacked' else kind}")
