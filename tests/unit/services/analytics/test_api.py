"""ARS over HTTP: roles and instructor scope, filters, paging, exports, problem responses."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from testkit.service_app import ServiceHarness, service_harness

from features.events import LearningEvent
from features.lake import Lake, events_to_table
from services.analytics.app import MODULE
from services.analytics.models import Base


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceHarness]:
    data_dir = tmp_path_factory.mktemp("ars")
    start = datetime(2024, 3, 4, tzinfo=UTC)
    events = [
        LearningEvent.model_validate(
            {
                "learner_id": f"l{i}",
                "timestamp": start + timedelta(hours=i),
                "verb": "answered",
                "object": {"id": f"q{i % 3}", "course_id": "algebra" if i < 6 else "geometry"},
                "result": {"correct": i % 2 == 0},
            }
        )
        for i in range(10)
    ]
    Lake.from_uri(str(data_dir / "lake")).write_events(events_to_table(events))
    with service_harness([MODULE], [Base.metadata], Path(data_dir)) as h:
        yield h


def test_learners_may_not_read_analytics(harness: ServiceHarness) -> None:
    response = harness.client.get("/analytics/reports", headers=harness.auth("l1", "learner"))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert harness.client.get("/analytics/reports").status_code == 401


def test_instructor_sees_only_assigned_courses(harness: ServiceHarness) -> None:
    admin = harness.auth("root", "admin")
    teacher = harness.auth("t1", "instructor")
    url = "/analytics/reports/learner_activity"
    assert harness.client.get(url, headers=teacher).json()["count"] == 0
    put = harness.client.put("/analytics/staff/algebra/t1", headers=admin)
    assert put.status_code == 200 and put.json()["added_by"] == "root"
    assert harness.client.put("/analytics/staff/algebra/t2", headers=teacher).status_code == 403
    page = harness.client.get(url, headers=teacher).json()
    assert page["count"] == 6 and {r["learner_id"] for r in page["data"]} == {
        f"l{i}" for i in range(6)
    }
    other = harness.client.get(url, params={"course_id": "geometry"}, headers=teacher).json()
    assert other["count"] == 0
    assert harness.client.get(url, headers=admin).json()["count"] == 10
    mine = harness.client.get("/analytics/staff", headers=teacher).json()["data"]
    assert [(s["course_id"], s["user_id"]) for s in mine] == [("algebra", "t1")]


def test_paging_filters_and_validation(harness: ServiceHarness) -> None:
    scientist = harness.auth("ds", "data_scientist")
    url = "/analytics/reports/learner_activity"
    page = harness.client.get(url, params={"limit": 3, "offset": 3}, headers=scientist).json()
    assert page["count"] == 10 and len(page["data"]) == 3 and page["offset"] == 3
    bad = harness.client.get(
        url, params={"date_from": "2024-03-05", "date_to": "2024-03-01"}, headers=scientist
    )
    assert bad.status_code == 422 and "after date_to" in bad.json()["detail"]
    missing = harness.client.get("/analytics/reports/revenue", headers=scientist)
    assert missing.status_code == 404 and "known: learner_activity" in missing.json()["detail"]
    assert harness.client.get(url, params={"limit": 0}, headers=scientist).status_code == 422


def test_exports_for_bi_tools(harness: ServiceHarness) -> None:
    scientist = harness.auth("ds", "data_scientist")
    csv = harness.client.get("/analytics/reports/item_statistics/export", headers=scientist)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert 'filename="item_statistics.csv"' in csv.headers["content-disposition"]
    assert csv.text.splitlines()[0].startswith('"item_id","answers"')
    parquet = harness.client.get(
        "/analytics/reports/item_statistics/export", params={"format": "parquet"}, headers=scientist
    )
    table = pq.read_table(io.BytesIO(parquet.content))
    assert table.column("item_id").to_pylist() == ["q0", "q1", "q2"]
