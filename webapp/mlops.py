"""What the data-scientist page shows: the champion of each registered model with its run's
metrics (MLflow, imported lazily), the latest drift report and the experiment reports."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from learnloop.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Champion:
    """The version serving under the champion alias of one registered model."""

    kind: str
    name: str
    version: str
    run_id: str
    metrics: dict[str, float]
    decision: str


def registry_exists(settings: Settings) -> bool:
    """False when the local registry database was never created (nothing trained yet)."""
    uri = settings.mlflow_tracking_uri
    return not uri.startswith("sqlite:///") or Path(uri.removeprefix("sqlite:///")).is_file()


def champions(settings: Settings) -> list[Champion]:
    """The champion of each registered model (KT, recommender); empty without a registry."""
    if not registry_exists(settings):
        return []
    from mlflow.exceptions import MlflowException

    from pipelines.registry.tracking import CHAMPION, client, model_names

    mlflow = client(settings)
    found = []
    for kind, name in model_names(settings).items():
        try:
            version = mlflow.get_model_version_by_alias(name, CHAMPION)
        except MlflowException:
            continue
        metrics = mlflow.get_run(version.run_id).data.metrics if version.run_id else {}
        found.append(
            Champion(
                kind=kind,
                name=name,
                version=str(version.version),
                run_id=version.run_id or "",
                metrics={k: float(v) for k, v in sorted(metrics.items())},
                decision=(version.tags or {}).get("decision", ""),
            )
        )
    return found


def mlflow_ui_url(settings: Settings) -> str | None:
    """The MLflow UI: the tracking server, or the local UI when `learnloop up` starts it."""
    uri = settings.mlflow_tracking_uri
    if uri.startswith(("http://", "https://")):
        return uri
    if settings.mlflow.ui:
        return f"http://{settings.api.host}:{settings.mlflow.ui_port}"
    return None


@dataclass(frozen=True)
class ReportFile:
    """An HTML report on disk."""

    name: str
    modified: datetime

    @classmethod
    def of(cls, path: Path) -> ReportFile:
        return cls(path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC))


def html_reports(folder: Path) -> list[ReportFile]:
    """HTML reports directly in ``folder``, newest first."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.html") if p.is_file() and p.name != "latest.html"]
    return sorted((ReportFile.of(p) for p in files), key=lambda r: r.modified, reverse=True)


def report_path(folder: Path, name: str) -> Path | None:
    """``folder/name`` when it is one of the reports listed there (no path tricks)."""
    return folder / name if name in {r.name for r in html_reports(folder)} else None


@dataclass(frozen=True)
class DriftSummary:
    """The newest drift check: verdict, window, breaches and its HTML report."""

    report: ReportFile
    data: dict[str, Any]

    @property
    def breaches(self) -> list[str]:
        return [str(b) for b in self.data.get("breaches") or []]


def latest_drift(folder: Path) -> DriftSummary | None:
    """The newest drift report that has its JSON next to it."""
    for report in html_reports(folder):
        sidecar = (folder / report.name).with_suffix(".json")
        if sidecar.is_file():
            try:
                return DriftSummary(report, json.loads(sidecar.read_text()))
            except ValueError:
                logger.warning("unreadable drift summary %s", sidecar)
    return None
