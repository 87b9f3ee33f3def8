"""Served models from the MLflow registry: which versions hold an alias, and loading them.

:class:`RegistrySource` answers "which KT / recommender version is ``champion`` now" (one
``get_model_version_by_alias`` per model, cheap enough to poll) and loads a version natively
(``pipelines.registry.loading``) by its pinned ``models:/name/<version>`` URI, so a concurrent
alias move can never mix two versions. MLflow is imported on first use (it is slow to import).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnloop.settings import Settings

logger = logging.getLogger(__name__)
KINDS = ("kt", "rec")


@dataclass(frozen=True)
class Versions:
    """Registered name and version per model kind (version ``None``: no such alias)."""

    kt: tuple[str, str | None]
    rec: tuple[str, str | None]

    def get(self, kind: str) -> tuple[str, str | None]:
        return self.kt if kind == "kt" else self.rec


class RegistrySource:
    """Alias lookups and version loads against the configured MLflow registry."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self.cache_dir = settings.data_dir / "serving" / "models"

    def _mlflow(self) -> Any:
        if self._client is None:
            from pipelines.registry.tracking import client

            self._client = client(self.settings)
        return self._client

    def versions(self, alias: str) -> Versions:
        """The versions ``alias`` points at now (raises when the registry is unreachable)."""
        from pipelines.registry.tracking import model_names
        from pipelines.registry.versions import alias_version

        client = self._mlflow()
        names = model_names(self.settings)
        found = {}
        for kind in KINDS:
            version = alias_version(client, names[kind], alias)
            found[kind] = (names[kind], str(version.version) if version is not None else None)
        return Versions(kt=found["kt"], rec=found["rec"])

    def load(self, kind: str, name: str, version: str) -> Any:
        """``LoadedKT`` (kind ``kt``) or a ``models.rec`` recommender of one pinned version."""
        from pipelines.registry.loading import load_kt, load_rec

        self._mlflow()
        dst = self._folder(name, version)
        uri = f"models:/{name}/{version}"
        return (
            load_kt(self.settings, uri, dst) if kind == "kt" else load_rec(self.settings, uri, dst)
        )

    def _folder(self, name: str, version: str) -> Path:
        folder = self.cache_dir / name / version
        folder.mkdir(parents=True, exist_ok=True)
        return folder
