"""Recommenders by name: ``make_recommender("sasrec", epochs=10)``, ``load_recommender(path)``."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from models.rec.base import RecError, Recommender, read_meta

REGISTRY: dict[str, str] = {
    "popularity": "models.rec.popularity:PopularityRecommender",
    "itemknn": "models.rec.itemknn:ItemKNNRecommender",
    "als": "models.rec.implicit_mf:ALSRecommender",
    "bpr": "models.rec.implicit_mf:BPRRecommender",
    "transitions": "models.rec.transitions:TransitionRecommender",
    "context": "models.rec.context:ContextRecommender",
    "sasrec": "models.rec.sasrec:SASRecRecommender",
    "blend": "models.rec.blend:BlendRecommender",
}


def recommender_class(name: str) -> type[Recommender]:
    """The class registered as ``name``; the error lists the known names."""
    if name not in REGISTRY:
        raise RecError(f"unknown recommender {name!r}; known: {', '.join(REGISTRY)}")
    module, attr = REGISTRY[name].split(":")
    cls: type[Recommender] = getattr(importlib.import_module(module), attr)
    return cls


def make_recommender(name: str, **params: Any) -> Recommender:
    """A new unfitted recommender."""
    return recommender_class(name)(**params)


def load_recommender(path: str | Path) -> Recommender:
    """Load any recommender saved with ``save``."""
    return recommender_class(read_meta(Path(path))["model"]).load(path)
