"""A self-contained HTML drift report (inline PNG plots, no external assets) plus its JSON."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from pipelines.drift.monitor import DriftResult

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem}
th{background:#f3f3f3}.bad{background:#fde2e1}.ok{background:#e3f6e5}
.verdict{font-size:1.3rem;padding:.6rem;border-radius:4px;display:inline-block}
img{max-width:100%;border:1px solid #eee;margin:.4rem 0}
"""


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _plots(result: DriftResult) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pipelines.drift.monitor import with_derived

    samples = result.samples
    if not samples:
        return []
    ref, cur = with_derived(samples["reference"]), with_derived(samples["current"])
    out = []
    names = [f.feature for f in result.features]
    if names:
        cols = 3
        rows = math.ceil(len(names) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(12, 3 * rows), squeeze=False)
        for ax, feature in zip(axes.ravel(), result.features, strict=False):
            a, b = ref[feature.feature].dropna(), cur[feature.feature].dropna()
            lo = float(np.nanmin([a.min(), b.min()])) if len(a) and len(b) else 0.0
            hi = float(np.nanmax([a.max(), b.max()])) if len(a) and len(b) else 1.0
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 25).tolist()
            ax.hist(a, bins=bins, density=True, alpha=0.5, label="reference")
            ax.hist(b, bins=bins, density=True, alpha=0.5, label="window")
            ax.set_title(f"{feature.feature}: PSI {feature.psi:.3f}, KS {feature.ks:.3f}")
            ax.legend(fontsize=7)
        for ax in axes.ravel()[len(names) :]:
            ax.axis("off")
        fig.tight_layout()
        out.append(("Feature distributions", _png(fig)))
    fig, ax = plt.subplots(figsize=(6, 3.4))
    bins = np.linspace(0, 1, 26).tolist()
    ax.hist(samples["reference_predictions"]["p_correct"], bins=bins, density=True, alpha=0.5,
            label="test predictions at training")  # fmt: skip
    ax.hist(cur["p_correct"], bins=bins, density=True, alpha=0.5, label="window predictions")
    ax.set_title(f"Prediction drift: PSI {result.prediction_psi:.3f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out.append(("Prediction distribution", _png(fig)))
    if result.rolling_auc:
        fig, ax = plt.subplots(figsize=(7, 3.4))
        days = [r["day"] for r in result.rolling_auc]
        ax.plot(days, [r["auc"] for r in result.rolling_auc], "o-", label="champion AUC per day")
        ax.axhline(result.reference_auc, color="k", ls=":", label="AUC at training (test)")
        ax.set_ylim(0.4, 1.0)
        ax.tick_params(axis="x", rotation=45, labelsize=7)
        ax.legend(fontsize=8)
        ax.set_title("Concept drift: rolling AUC on newly labelled answers")
        fig.tight_layout()
        out.append(("Rolling AUC", _png(fig)))
    return out


def _verdict(feature: Any) -> str:
    from pipelines.drift.monitor import INFORMATIONAL

    if feature.feature in INFORMATIONAL:
        return "informational"
    return "breach" if feature.breached else "ok"


def render_html(result: DriftResult) -> str:
    """The report as one HTML document."""
    esc = html.escape
    verdict_class = "bad" if result.status == "drift" else "ok"
    rows = "".join(
        f"<tr class='{'bad' if f.breached else 'ok'}'><td>{esc(f.feature)}</td>"
        f"<td>{f.psi:.4f}</td><td>{f.ks:.4f}</td><td>{f.ks_pvalue:.2g}</td>"
        f"<td>{_verdict(f)}</td></tr>"
        for f in result.features
    )
    breaches = "".join(f"<li>{esc(b)}</li>" for b in result.breaches) or "<li>none</li>"
    plots = "".join(
        f"<h2>{esc(t)}</h2><img alt='{esc(t)}' src='{src}'>" for t, src in _plots(result)
    )
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    title = f"Drift report: {esc(result.model)} v{esc(str(result.version))}"
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{title}</title><style>{STYLE}</style></head>
<body><h1>{title}</h1>
<p class="verdict {verdict_class}">{esc(result.status)}</p>
<p>Window {esc(result.window_start)} .. {esc(result.window_end)}: {result.window_rows} labelled
answers; reference: {result.reference_rows} training rows. Generated {generated}.</p>
<h2>Breaches</h2><ul>{breaches}</ul>
<h2>Concept and prediction drift</h2><table><tr><th>AUC at training (test)</th>
<th>AUC on the window</th><th>prediction PSI</th></tr><tr><td>{result.reference_auc:.4f}</td>
<td>{result.window_auc:.4f}</td><td>{result.prediction_psi:.4f}</td></tr></table>
<h2>Feature drift</h2><table><tr><th>feature</th><th>PSI</th><th>KS</th><th>KS p-value</th>
<th>verdict</th></tr>{rows}</table>{plots}</body></html>
"""


def write_report(result: DriftResult, folder: Path) -> Path:
    """Write ``drift-<version>-<time>.html`` and ``.json`` (+ ``latest.html``); returns the HTML."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"drift-{result.model}-v{result.version}-{stamp}.html"
    result.report = str(path)
    document = render_html(result)
    path.write_text(document)
    (folder / "latest.html").write_text(document)
    path.with_suffix(".json").write_text(json.dumps(result.to_dict(), indent=1, default=str))
    return path
