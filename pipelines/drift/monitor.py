"""The drift monitor: the champion's training reference against a recent lake window.

* **Feature drift** — PSI and KS per feature (the Feast features of the training set, computed
  point-in-time for the window's answers exactly as for training), the label rate and the
  items' success rate within each period (item difficulty). Cumulative counters grow with time
  and popularity follows traffic volume by construction: they are not compared; cumulative
  item statistics are reported but never decide a breach. The reference is the last
  ``window_days`` of the training data (:func:`pipelines.registry.runs.reference_window`), and
  the window holds only answers after the training data (``data_end`` tag of the champion):
  labels the champion has never seen.
* **Prediction drift** — PSI of the champion's predictions on the window against its test
  predictions at training time.
* **Concept drift** — AUC of the champion on the window's newly labelled answers (and per day:
  the rolling AUC) against its test AUC at training time.

Thresholds come from :class:`learnloop.settings.DriftSettings`. Fewer window rows than
``min_rows`` give ``insufficient_data``, never a verdict.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from learnloop.settings import Settings
from models.metrics import roc_auc
from pipelines.drift.stats import ks, psi

DRIFT_FEATURES = ("accuracy", "accuracy_7d", "attempt_count_7d", "correct", "item_success_rate")
# Cumulative item statistics mature as the catalogue is used and popularity follows traffic:
# reported (and exported) for reading, never a breach on their own.
INFORMATIONAL = ("item_correct_rate", "item_difficulty")
MIN_ITEM_ANSWERS = 5
Status = Literal["drift", "ok", "insufficient_data", "no_champion"]


@dataclass
class FeatureDrift:
    """Drift of one feature."""

    feature: str
    psi: float
    ks: float
    ks_pvalue: float
    breached: bool


@dataclass
class DriftResult:
    """Everything one drift check measured and decided."""

    model: str
    version: str | None
    status: Status
    window_start: str = ""
    window_end: str = ""
    reference_rows: int = 0
    window_rows: int = 0
    min_rows: int = 0  # fewer window rows: no verdict
    source: str | None = None  # the lake source the champion was trained on (None: every one)
    data_end: str | None = None  # the end of its training data: the window holds later answers
    features: list[FeatureDrift] = field(default_factory=list)
    prediction_psi: float = float("nan")
    reference_auc: float = float("nan")
    window_auc: float = float("nan")
    rolling_auc: list[dict[str, Any]] = field(default_factory=list)
    breaches: list[str] = field(default_factory=list)
    report: str | None = None
    samples: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("samples")
        return data

    def summary(self) -> str:
        head = f"{self.model} v{self.version}: {self.status}"
        if self.status == "insufficient_data":
            of = f" of source {self.source}" if self.source else ""
            after = (
                f"; only answers after its training data, {self.data_end}" if self.data_end else ""
            )
            return (
                f"{head} ({self.window_rows} labelled answers{of} in {self.window_start}.."
                f"{self.window_end}, {self.min_rows} needed{after})"
            )
        detail = "; ".join(self.breaches) if self.breaches else "no threshold breached"
        span = f"{self.window_start}..{self.window_end}"
        return f"{head} ({self.window_rows} window rows, {span}): {detail}"


@dataclass
class Window:
    """Labelled answers with point-in-time features; ``in_window`` marks the recent ones."""

    rows: pd.DataFrame
    start: datetime
    end: datetime


def load_window(
    settings: Settings,
    source: str | None,
    days: int,
    end: datetime | None = None,
    after: datetime | None = None,
) -> Window:
    """The lake's answers of ``source`` with features. The window is the ``days`` before
    ``end`` (default: the latest event, so replayed historical data has a window too), and
    only answers after ``after`` (the champion's training data end: newly labelled ones)."""
    from features.lake import EVENTS_DATASET
    from learnloop.resources import lake_from_settings
    from pipelines.pit_join import answers_with_features

    lake = lake_from_settings(settings)
    flt = pc.field("source") == source if source else None
    table = lake.read_events(filter=flt) if lake.exists(EVENTS_DATASET) else None
    if table is None or table.num_rows == 0:
        empty = pd.DataFrame(columns=["learner_id", "timestamp", "correct", "in_window"])
        now = end or datetime.now().astimezone()
        return Window(empty, now - timedelta(days=days), now)
    with tempfile.TemporaryDirectory() as tmp:
        rows, _ = answers_with_features(table, Path(tmp))
    if rows.empty:
        now = end or datetime.now().astimezone()
        return Window(rows.assign(in_window=False), now - timedelta(days=days), now)
    latest = rows["timestamp"].max().to_pydatetime()
    end = min(end, latest) if end else latest
    start = end - timedelta(days=days)
    if after is not None and after > start:
        start = after
    rows["in_window"] = (rows["timestamp"] > start) & (rows["timestamp"] <= end)
    return Window(rows, start, end)


def rolling_auc(window: pd.DataFrame, p: np.ndarray) -> list[dict[str, Any]]:
    """AUC of the predictions per UTC day of the window."""
    days = window["timestamp"].dt.strftime("%Y-%m-%d").to_numpy()
    y = window["correct"].to_numpy()
    out = []
    for day in sorted(set(days)):
        mask = days == day
        out.append({"day": day, "auc": roc_auc(y[mask], p[mask]), "rows": int(mask.sum())})
    return out


def item_success_rate(rows: pd.DataFrame) -> pd.Series:
    """Per answer, its item's success rate within ``rows`` (NaN for items answered fewer than
    ``MIN_ITEM_ANSWERS`` times): item difficulty as seen in one period, comparable across
    periods, unlike the cumulative ``item_correct_rate``."""
    grouped = rows.groupby("item_id")["correct"]
    rate = grouped.transform("mean").astype(float)
    return rate.where(grouped.transform("size") >= MIN_ITEM_ANSWERS)


def with_derived(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` plus the derived drift features (``item_success_rate``)."""
    if "item_success_rate" in rows:
        return rows
    return rows.assign(item_success_rate=item_success_rate(rows))


def compare(
    reference: pd.DataFrame,
    reference_predictions: pd.DataFrame,
    window: pd.DataFrame,
    window_p: np.ndarray,
    settings: Settings,
) -> tuple[list[FeatureDrift], float, float, float, list[str]]:
    """Feature, prediction and concept drift of ``window`` against the reference."""
    cfg = settings.drift
    features = []
    breaches = []
    reference, window = with_derived(reference), with_derived(window)
    for name in (*DRIFT_FEATURES, *INFORMATIONAL):
        if name not in reference or name not in window:
            continue
        value_psi = psi(reference[name], window[name])
        value_ks, p_value = ks(reference[name], window[name])
        decides = name in DRIFT_FEATURES
        breached = decides and bool(value_psi > cfg.psi_threshold or value_ks > cfg.ks_threshold)
        features.append(FeatureDrift(name, value_psi, value_ks, p_value, breached))
        if breached:
            breaches.append(
                f"feature {name}: PSI {value_psi:.3f} (> {cfg.psi_threshold:g}?), "
                f"KS {value_ks:.3f} (> {cfg.ks_threshold:g}?)"
            )
    prediction_psi = psi(reference_predictions["p_correct"], window_p)
    if prediction_psi > cfg.prediction_psi_threshold:
        breaches.append(f"predictions: PSI {prediction_psi:.3f} > {cfg.prediction_psi_threshold:g}")
    ref_auc = roc_auc(reference_predictions["correct"], reference_predictions["p_correct"])
    win_auc = roc_auc(window["correct"], window_p)
    if np.isfinite(ref_auc) and np.isfinite(win_auc) and ref_auc - win_auc > cfg.auc_drop_threshold:
        breaches.append(
            f"concept: champion AUC {win_auc:.3f} on the window vs {ref_auc:.3f} at training "
            f"(drop > {cfg.auc_drop_threshold:g})"
        )
    return features, prediction_psi, ref_auc, win_auc, breaches


def check_drift(
    settings: Settings, *, end: datetime | None = None, start: datetime | None = None
) -> DriftResult:
    """Measure drift of the KT champion; writes the HTML report and exports the gauges.

    The window is ``window_days`` before ``end`` (default: the latest answer), never earlier
    than ``start`` nor than the end of the champion's training data."""
    import mlflow

    from pipelines.drift.metrics import export_drift_metrics
    from pipelines.drift.report import write_report
    from pipelines.registry import tracking
    from pipelines.registry.loading import load_kt
    from pipelines.registry.versions import alias_version
    from pipelines.scoring import predict_rows

    client = tracking.client(settings)
    name = tracking.model_names(settings)["kt"]
    champion = alias_version(client, name, tracking.CHAMPION)
    if champion is None:
        return DriftResult(name, None, "no_champion")
    tagged = champion.tags.get("source") or None
    source = None if tagged == "*" else tagged  # "*": trained on every source
    max_len = int(champion.tags.get("max_seq_len", "200"))
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_kt(settings, f"models:/{name}/{champion.version}", Path(tmp) / "model")
        ref_dir = Path(
            mlflow.artifacts.download_artifacts(
                run_id=champion.run_id, artifact_path="reference", dst_path=str(Path(tmp) / "ref")
            )
        )
        reference = pd.read_parquet(ref_dir / "features.parquet")
        reference_predictions = pd.read_parquet(ref_dir / "predictions.parquet")
    data_end = champion.tags.get("data_end")
    bounds = [b for b in (start, datetime.fromisoformat(data_end) if data_end else None) if b]
    window = load_window(
        settings,
        source,
        settings.drift.window_days,
        end,
        max(bounds) if bounds else None,
    )
    result = DriftResult(
        name,
        str(champion.version),
        "insufficient_data",
        window.start.isoformat(timespec="seconds"),
        window.end.isoformat(timespec="seconds"),
        len(reference),
        int(window.rows["in_window"].sum()),
        settings.drift.min_rows,
        source,
        data_end,
    )
    if result.window_rows >= settings.drift.min_rows:
        learners = window.rows.loc[window.rows["in_window"], "learner_id"].unique()
        history = window.rows[window.rows["learner_id"].isin(learners)].reset_index(drop=True)
        p_all = predict_rows(loaded.model, history, loaded.vocab, max_len)
        recent = history["in_window"].to_numpy()
        current, p = with_derived(history[recent].reset_index(drop=True)), p_all[recent]
        reference = with_derived(reference)
        features, pred_psi, ref_auc, win_auc, breaches = compare(
            reference, reference_predictions, current, p, settings
        )
        result.features, result.prediction_psi = features, pred_psi
        result.reference_auc, result.window_auc = ref_auc, win_auc
        result.rolling_auc = rolling_auc(current, p)
        result.breaches = breaches
        result.status = "drift" if breaches else "ok"
        result.samples = {
            "reference": reference,
            "reference_predictions": reference_predictions,
            "current": current.assign(p_correct=p),
        }
    result.report = str(write_report(result, settings.drift_report_dir))
    export_drift_metrics(result, settings)
    return result
