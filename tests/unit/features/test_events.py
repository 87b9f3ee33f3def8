from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from features.events import (
    EventValidationError,
    LearningEvent,
    Verb,
    dump_json_schema,
    json_schemas,
    parse_learning_event,
    parse_progress_event,
)
from learnloop.commands.events import SCHEMA_DIR

VALID = {
    "learner_id": "learner-1",
    "timestamp": "2024-03-01T10:00:00Z",
    "verb": "answered",
    "object": {"id": "problem-7", "type": "problem"},
    "skill_ids": ["fractions"],
    "result": {"correct": True, "duration_s": 12.5},
}


def test_parse_valid_event_round_trips_through_json() -> None:
    event = parse_learning_event(VALID)
    again = parse_learning_event(event.model_dump_json())
    assert again == event
    assert event.verb is Verb.ANSWERED
    assert event.correct is True
    assert event.schema_version == "1.0"


def test_naive_timestamp_is_taken_as_utc() -> None:
    event = parse_learning_event({**VALID, "timestamp": "2024-03-01T10:00:00"})
    assert event.timestamp == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_missing_learner_id_names_the_field() -> None:
    data = {k: v for k, v in VALID.items() if k != "learner_id"}
    with pytest.raises(EventValidationError) as info:
        parse_learning_event(data)
    assert [(e.field, e.reason) for e in info.value.errors] == [("learner_id", "field required")]
    assert str(info.value) == "learner_id: field required"


def test_unknown_verb_lists_allowed_verbs() -> None:
    with pytest.raises(EventValidationError) as info:
        parse_learning_event({**VALID, "verb": "jumped"})
    (error,) = info.value.errors
    assert error.field == "verb"
    assert "unknown verb 'jumped'" in error.reason
    assert "answered" in error.reason and "viewed" in error.reason


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"result": {"score": 1.5}}, "result.score"),
        ({"result": {"duration_s": -1}}, "result.duration_s"),
        ({"object": {"id": "has space"}}, "object.id"),
        ({"object": {"id": "p", "type": "podcast"}}, "object.type"),
        ({"unexpected": 1}, "unexpected"),
        ({"learner_id": "a" * 200}, "learner_id"),
    ],
)
def test_invalid_values_name_the_field(patch: dict[str, object], field: str) -> None:
    with pytest.raises(EventValidationError) as info:
        parse_learning_event({**VALID, **patch})
    assert field in [e.field for e in info.value.errors]


def test_progress_event_validates_mastery_range() -> None:
    base = {
        "learner_id": "l1",
        "skill_id": "s1",
        "mastery": 0.7,
        "model_name": "bkt",
        "model_version": "3",
        "cause_event_id": "6f1c0b1e-3a57-4f0c-9a43-3b0b0f8f1f11",
        "timestamp": "2024-03-01T10:00:00Z",
    }
    assert parse_progress_event(base).mastery == 0.7
    with pytest.raises(EventValidationError, match="mastery"):
        parse_progress_event({**base, "mastery": 1.2})


def test_committed_json_schemas_match_the_models() -> None:
    for name, schema in json_schemas().items():
        committed = (SCHEMA_DIR / name).read_text()
        assert committed == dump_json_schema(schema), f"run `learnloop events schema` ({name})"
    verbs = json.loads((SCHEMA_DIR / "learning_event.schema.json").read_text())["$defs"]["Verb"]
    assert set(verbs["enum"]) == {v.value for v in Verb}


def test_event_is_immutable() -> None:
    event = LearningEvent.model_validate(VALID)
    with pytest.raises(Exception, match="frozen"):
        event.learner_id = "other"  # type: ignore[misc]
