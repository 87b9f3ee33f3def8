"""Load registered models natively (the ``models.kt`` / ``models.rec`` objects), e.g. the champion.

``load_kt(settings, "models:/learnloop-kt@champion")`` returns the KT model and its vocabulary;
serving that wants the DataFrame API uses ``mlflow.pyfunc.load_model`` on the same URI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnloop.settings import Settings
from models.kt import KTModel, load_model
from pipelines.kt_data import Vocabulary
from pipelines.registry.tracking import CHAMPION, configure, model_names

KT_PYFUNC = Path(__file__).with_name("kt_pyfunc.py")
REC_PYFUNC = Path(__file__).with_name("rec_pyfunc.py")


@dataclass
class LoadedKT:
    """A registered KT model: the estimator, its vocabulary, where it came from."""

    model: KTModel
    vocab: Vocabulary
    uri: str
    path: Path


def champion_uri(settings: Settings, kind: str = "kt") -> str:
    """``models:/<name>@champion`` of ``kind`` (``kt`` or ``rec``)."""
    return f"models:/{model_names(settings)[kind]}@{CHAMPION}"


def download(settings: Settings, uri: str, dst: Path | None = None) -> Path:
    """The model folder of ``uri`` (``models:/name@alias``, ``models:/name/3``, ``runs:/...``)."""
    import mlflow

    configure(settings)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=uri, dst_path=str(dst) if dst else None
    )
    return Path(local)


def load_kt(settings: Settings, uri: str | None = None, dst: Path | None = None) -> LoadedKT:
    """The KT model and vocabulary registered at ``uri`` (default: the KT champion)."""
    uri = uri or champion_uri(settings, "kt")
    folder = download(settings, uri, dst)
    npz = next(iter(sorted(folder.rglob("*.npz"))), None)
    vocab = next(iter(sorted(folder.rglob("vocab.json"))), None)
    if npz is None or vocab is None:
        raise FileNotFoundError(f"{uri} holds no learnloop KT model (model .npz + vocab.json)")
    return LoadedKT(load_model(npz), Vocabulary.load(vocab), uri, folder)


def load_rec(settings: Settings, uri: str | None = None, dst: Path | None = None) -> Any:
    """The ``models.rec`` recommender registered at ``uri`` (default: the champion)."""
    from models.rec import load_recommender

    uri = uri or champion_uri(settings, "rec")
    folder = download(settings, uri, dst)
    meta = next(iter(sorted(folder.rglob("meta.json"))), None)
    if meta is None:
        raise FileNotFoundError(f"{uri} holds no learnloop recommender (meta.json)")
    return load_recommender(meta.parent)
