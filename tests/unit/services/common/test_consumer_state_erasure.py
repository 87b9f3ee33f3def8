"""Who erases the feature consumers' state: the gateway's feature-store handler (shared data
folder, local) or each consumer itself (``security.consumer_state_erasure: consumer``), and the
identity service awaits the answers of exactly the stores that erase."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from features.events import EventObject, EventResult, LearningEvent, Verb
from features.feature_repo.aggregates import LearnerActivity
from features.feature_repo.consumer import FeatureConsumer
from features.feature_repo.state import StateStore
from learnloop.settings import IngestSettings, SecuritySettings, Settings
from services.common.data_platform import ConsumerStateSubjectHandler, FeatureStoreSubjectHandler
from services.common.events import PRIVACY_RESULT_TOPIC, InProcessEventBus
from services.common.privacy import (
    CONSUMER_STATE_STORE,
    DataSubjectRequest,
    DataSubjectResult,
    handle_request,
)
from services.users.privacy import ERASURE_STORES, erasure_stores


def _settings(tmp_path: Path, mode: Literal["gateway", "consumer"]) -> Settings:
    return Settings(data_dir=tmp_path, security=SecuritySettings(consumer_state_erasure=mode))


def _state(path: Path) -> StateStore:
    """A consumer state holding two learners (aggregates and two mastery rows each)."""
    for learner in ("me", "them"):
        activity = LearnerActivity()
        activity.apply(
            LearningEvent(
                learner_id=learner,
                timestamp=datetime(2026, 11, 25, tzinfo=UTC),
                verb=Verb.ANSWERED,
                object=EventObject(id="item-1"),
                result=EventResult(correct=True),
            )
        )
        state = StateStore(path)
        state.commit({learner: activity}, {(learner, "s1"): "t1", (learner, "s2"): "t2"}, [], {})
        state.close()
    return StateStore(path)


@pytest.mark.parametrize("mode", ["gateway", "consumer"])
def test_gateway_erases_consumer_state_only_in_gateway_mode(tmp_path: Path, mode: Any) -> None:
    settings = _settings(tmp_path, mode)
    state = _state(settings.state_path / "features.sqlite")
    counts = FeatureStoreSubjectHandler(settings).erase_subject("me", "pn-me")
    activity, mastery, _ = state.learner_record("me", limit=10)
    if mode == "gateway":
        assert counts["state_files_cleared"] == 1 and (activity, mastery) == (None, [])
        assert erasure_stores(settings) == ERASURE_STORES
    else:
        assert "state_files_cleared" not in counts
        assert activity is not None and len(mastery) == 2  # left to the consumer
        assert erasure_stores(settings) == (*ERASURE_STORES, CONSUMER_STATE_STORE)
    assert state.learner_record("them", limit=10)[0] is not None
    assert CONSUMER_STATE_STORE not in ERASURE_STORES
    state.close()


def test_consumer_answers_for_its_state_once_per_request_and_idempotently(tmp_path: Path) -> None:
    state = _state(tmp_path / "features.sqlite")
    consumer = FeatureConsumer(None, state, group_id="g", progress_topic="p")  # type: ignore[arg-type]
    subjects = ConsumerStateSubjectHandler(consumer, name="features.sqlite")
    assert subjects.export_subject("me")["consumer_state"][0]["file"] == "features.sqlite"
    bus = InProcessEventBus()
    request = DataSubjectRequest(subject_id="me", pseudonym="pn-me", request_id=uuid.uuid4())
    for _ in range(2):
        handle_request(bus, subjects, request.model_dump_json().encode())

    first, second = (
        DataSubjectResult.model_validate_json(v) for v in bus.published(PRIVACY_RESULT_TOPIC)
    )
    assert (first.store, first.status, first.request_id) == (
        "feature_consumer_state",
        "done",
        request.request_id,
    )
    assert first.counts == {"learner_rows_deleted": 1, "mastery_rows_deleted": 2}
    assert second.counts == {"learner_rows_deleted": 0, "mastery_rows_deleted": 0}
    assert subjects.export_subject("me") == {"consumer_state": []}
    assert state.learner_record("them", limit=10)[0] is not None
    state.close()


def test_identity_service_awaits_every_partition_slice_of_the_consumers(tmp_path: Path) -> None:
    """With the consumers split into slices (Kubernetes StatefulSet), each slice is a store of
    its own: a request is not complete until every slice answered for its state."""
    settings = Settings(
        data_dir=tmp_path,
        security=SecuritySettings(consumer_state_erasure="consumer"),
        ingest=IngestSettings(features_instances=3),
    )
    slices = tuple(f"feature_consumer_state-{i}" for i in range(3))
    assert erasure_stores(settings) == (*ERASURE_STORES, *slices)
    gateway = settings.model_copy(update={"security": SecuritySettings()})
    assert erasure_stores(gateway) == ERASURE_STORES  # the gateway erases the shared state


def test_a_slice_answers_under_its_own_store(tmp_path: Path) -> None:
    state = _state(tmp_path / "features-1-of-2.sqlite")
    consumer = FeatureConsumer(None, state, group_id="g", progress_topic="p")  # type: ignore[arg-type]
    subjects = ConsumerStateSubjectHandler(
        consumer, name="features-1-of-2.sqlite", store="feature_consumer_state-1"
    )
    bus = InProcessEventBus()
    request = DataSubjectRequest(subject_id="me", pseudonym="pn-me")
    handle_request(bus, subjects, request.model_dump_json().encode())
    (answer,) = (
        DataSubjectResult.model_validate_json(v) for v in bus.published(PRIVACY_RESULT_TOPIC)
    )
    assert (answer.store, answer.counts["learner_rows_deleted"]) == ("feature_consumer_state-1", 1)
    state.close()
