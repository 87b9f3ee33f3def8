"""Pure pieces of the web app: reason sentences, chart geometry and contrast, teaching views,
report listing, redirect safety."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from webapp.charts import BLACK, WHITE, contrast, heat, mastery_bars
from webapp.explain import PHRASES, explain, explain_all
from webapp.mlops import html_reports, latest_drift, report_path
from webapp.pages.auth import _safe_next
from webapp.teaching import at_risk, item_difficulty, roster


def test_reasons_read_as_sentences() -> None:
    assert explain({"code": "new_skill", "skill": "fractions", "mastery": 0.25}) == (
        "Teaches fractions, mastered 25% so far."
    )
    assert "70%" in explain({"code": "zpd", "p_correct": 0.68, "target": 0.7})
    assert explain({"code": "something_new"}) == "something new"
    assert explain_all([{"code": "cold_start"}, {"code": "cold_start"}]) == [
        explain({"code": "cold_start"})
    ]


def test_every_reason_code_the_policies_emit_has_a_sentence() -> None:
    root = Path(__file__).resolve().parents[3]
    sources = [*(root / "models" / "policy").glob("*.py"), *(root / "serving").rglob("*.py")]
    emitted = {
        code
        for path in sources
        for code in re.findall(r'"code": "([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert {"capped", "zpd", "new_skill", "goal"} <= emitted  # the scan finds them
    assert emitted - set(PHRASES) == set()
    capped = {"code": "capped", "items": 20, "expected_mastery": 0.62, "threshold": 0.85}
    assert explain(capped) == (
        "A long stretch: 20 items are expected to bring it to 62%, short of the 85% to master it."
    )


@pytest.mark.parametrize("value", [i / 20 for i in range(21)])
def test_heat_cells_meet_aa_contrast(value: float) -> None:
    background, text = heat(value)
    rgb = tuple(int(background[i : i + 2], 16) for i in (1, 3, 5))
    ink = BLACK if text == "#000000" else WHITE
    assert contrast(rgb, ink) >= 4.5  # type: ignore[arg-type]


def test_mastery_bars_sorted_and_scaled() -> None:
    bars = mastery_bars([("a", 0.2), ("b", 0.97), ("c", 1.4)])
    assert [b.label for b in bars] == ["c", "b", "a"]
    assert bars[0].width == 360 and bars[2].width == 72  # clipped to the plot, scaled
    assert bars[1].mastered and not bars[2].mastered
    assert [b.y for b in bars] == sorted(b.y for b in bars)


def test_roster_at_risk_and_item_difficulty() -> None:
    mastery = {
        "l1": [{"skill_id": "s1", "mastery": 0.9}, {"skill_id": "s2", "mastery": 0.8}],
        "l2": [{"skill_id": "s1", "mastery": 0.1}, {"skill_id": "x", "mastery": 0.2}],
    }
    table = roster(["l2", "l1"], mastery, ["s1", "s2", "s3"])
    assert table.learners == ["l1", "l2"] and table.skills == ["s1", "s2"]
    assert table.value("l2", "s2") is None and table.mean("l2") == pytest.approx(0.1)
    now = datetime(2026, 1, 20, tzinfo=UTC)
    activity = [
        {"learner_id": "l1", "answers": 10, "accuracy": 0.9,
         "last_seen": (now - timedelta(days=9)).isoformat()},
        {"learner_id": "l2", "answers": 5, "accuracy": 0.2, "last_seen": now},
        {"learner_id": "l3", "answers": 2, "accuracy": 0.0, "last_seen": now},  # too few answers
    ]  # fmt: skip
    flagged = {r.learner: r.reasons for r in at_risk(table, activity, now=now)}
    assert flagged["l1"] == ["inactive for 9 days"]
    assert flagged["l2"] == ["mean mastery 10% (below 40%)", "accuracy 20% (below 50%)"]
    assert "l3" not in flagged
    stats = item_difficulty(
        [{"item_id": "i1", "answers": 4, "p_correct": 0.5, "discrimination": 0.3},
         {"item_id": "i2", "answers": 2, "p_correct": 0.0, "discrimination": None},
         {"item_id": "i3", "answers": 1, "p_correct": 1.0, "discrimination": None}],
        min_answers=2,
    )  # fmt: skip
    assert [(s.item_id, s.difficulty) for s in stats] == [("i2", 1.0), ("i1", 0.5)]


def test_reports_listing_and_drift_summary(tmp_path: Path) -> None:
    (tmp_path / "old.html").write_text("<html></html>")
    (tmp_path / "latest.html").write_text("<html></html>")
    drift = tmp_path / "drift-kt-v3-20260101T000000.html"
    drift.write_text("<html></html>")
    drift.with_suffix(".json").write_text(json.dumps({"status": "drift", "breaches": ["psi"]}))
    names = {r.name for r in html_reports(tmp_path)}
    assert names == {"old.html", drift.name}
    assert report_path(tmp_path, "../secrets.html") is None
    assert report_path(tmp_path, "latest.html") is None
    summary = latest_drift(tmp_path)
    assert summary is not None and summary.data["status"] == "drift" and summary.breaches == ["psi"]
    assert latest_drift(tmp_path / "missing") is None


def test_only_local_pages_are_redirect_targets() -> None:
    assert _safe_next("/app/learn?course=x") == "/app/learn?course=x"
    for bad in ("https://evil.example/app/", "//evil.example/app/", "/docs", None):
        assert _safe_next(bad) is None
