"""POST /events against the real broker: 202 only after the broker acknowledged, per-item
errors, xAPI statements, limits, and 503 + Retry-After when the broker is unreachable."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from testkit.events import make_events
from testkit.streaming import kafka_settings, read_all

from features.streaming import EventProducer
from learnloop.localstack import ManagedProcess, free_port
from learnloop.settings import IngestSettings, KafkaSettings
from learnloop.web import create_service_app
from services.ingestion import router
from services.ingestion.deps import ingest_settings
from services.ingestion.service import IngestionService

pytestmark = pytest.mark.integration
XAPI = {
    "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
    "actor": {"mbox": "mailto:ada@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
    "object": {"id": "https://learnloop.dev/items/p9"},
    "result": {"success": True, "duration": "PT12S"},
    "timestamp": "2026-03-02T10:00:00Z",
}


def _app(kafka: KafkaSettings, *, delivery_timeout_s: float = 10.0) -> FastAPI:
    app = create_service_app(title="t", service="ingestion", version="0", routers=[router])
    producer = EventProducer(kafka, delivery_timeout_s=delivery_timeout_s)
    app.state.ingestion_service = IngestionService(producer, kafka.learning_event_topic)
    limits = IngestSettings(max_batch=50, retry_after_s=7)
    app.dependency_overrides[ingest_settings] = lambda: limits
    return app


@pytest.fixture(scope="module")
def kafka(broker: ManagedProcess) -> KafkaSettings:
    return kafka_settings(broker.port)


@pytest.fixture(scope="module")
def client(kafka: KafkaSettings) -> Iterator[TestClient]:
    app = _app(kafka)
    with TestClient(app) as test_client:
        yield test_client
    app.state.ingestion_service.producer.close()


def _event(i: int) -> dict[str, object]:
    return json.loads(make_events(i + 1)[i].model_dump_json())


def test_batch_accepts_valid_items_and_names_bad_fields(
    client: TestClient, kafka: KafkaSettings
) -> None:
    bad = {**_event(1), "verb": "jumped", "learner_id": None}
    response = client.post("/events", json=[_event(0), bad, XAPI, {"nonsense": 1}])
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["rejected"] == 2
    assert body["event_ids"][1] == XAPI["id"]
    errors = {e["index"]: {f["field"]: f["reason"] for f in e["errors"]} for e in body["errors"]}
    assert errors[1]["verb"].startswith("unknown verb 'jumped'")
    assert "learner_id" in errors[1]
    assert errors[3]["nonsense"] == "unknown field"
    on_topic = read_all(kafka, kafka.learning_event_topic)
    ids = {json.loads(m.value())["event_id"] for m in on_topic}
    assert set(body["event_ids"]) <= ids
    xapi = next(json.loads(m.value()) for m in on_topic if m.key() != b"l0")
    assert xapi["learner_id"].startswith("mbox:") and "@" not in json.dumps(xapi)


def test_single_event_and_all_invalid_and_limits(client: TestClient) -> None:
    single = client.post("/events", json=_event(2))
    assert single.status_code == 202 and single.json()["accepted"] == 1
    invalid = client.post("/events", json={"learner_id": "x"})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in invalid.json()["errors"]}
    assert {"timestamp", "verb", "object"} <= fields
    assert client.post("/events", json=[]).status_code == 422
    too_many = client.post("/events", json=[_event(0)] * 51)
    assert too_many.status_code == 413 and "at most 50" in too_many.json()["detail"]
    not_json = client.post(
        "/events", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


def test_unreachable_broker_answers_503_with_retry_after() -> None:
    dead = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    app = _app(dead, delivery_timeout_s=1.0)
    with TestClient(app) as test_client:
        started = time.monotonic()
        response = test_client.post("/events", json=[_event(0), _event(1)])
    app.state.ingestion_service.producer.close(timeout=0)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert "nothing was accepted" in response.json()["detail"]
    assert time.monotonic() - started < 10
