from __future__ import annotations

import uuid

import pytest

from features.events import EventValidationError, ObjectType, Verb
from features.xapi import (
    EXPERIMENTS_EXTENSION,
    SKILLS_EXTENSION,
    is_xapi_statement,
    parse_duration,
    statement_to_event,
)

STATEMENT = {
    "id": "0d0b3f3e-2f43-4c8e-9a6a-2b4c5d6e7f80",
    "actor": {"account": {"homePage": "https://lms.example", "name": "learner-42"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
    "object": {
        "id": "https://content.example/problems/p-17",
        "definition": {"type": "http://adlnet.gov/expapi/activities/question"},
    },
    "result": {"success": False, "score": {"scaled": 0.25}, "duration": "PT1M30.5S"},
    "context": {
        "registration": "a1b2c3",
        "platform": "web",
        "extensions": {SKILLS_EXTENSION: ["algebra"], EXPERIMENTS_EXTENSION: {"exp1": "B"}},
    },
    "timestamp": "2024-05-01T12:00:00+02:00",
}


def test_statement_maps_onto_learning_event() -> None:
    assert is_xapi_statement(STATEMENT)
    event = statement_to_event(STATEMENT)
    assert event.event_id == uuid.UUID(STATEMENT["id"])  # type: ignore[arg-type]
    assert event.learner_id == "learner-42"
    assert event.verb is Verb.ANSWERED
    assert event.object.id == "p-17" and event.object.type is ObjectType.PROBLEM
    assert event.result is not None
    assert event.result.correct is False and event.result.score == 0.25
    assert event.result.duration_s == pytest.approx(90.5)
    assert event.skill_ids == ["algebra"]
    assert event.context.experiments == {"exp1": "B"}
    assert event.timestamp.hour == 10  # converted to UTC


def test_mbox_actor_is_pseudonymised() -> None:
    statement = {**STATEMENT, "actor": {"mbox": "mailto:ada@example.com"}}
    event = statement_to_event(statement)
    assert event.learner_id.startswith("mbox:")
    assert "example.com" not in event.model_dump_json()


def test_unknown_verb_iri_names_verb_id() -> None:
    statement = {**STATEMENT, "verb": {"id": "http://example.com/verbs/danced"}}
    with pytest.raises(EventValidationError) as info:
        statement_to_event(statement)
    assert info.value.errors[0].field == "verb.id"
    assert "danced" in info.value.errors[0].reason


def test_bad_duration_names_result_duration() -> None:
    statement = {**STATEMENT, "result": {"duration": "ten seconds"}}
    with pytest.raises(EventValidationError, match=r"result\.duration"):
        statement_to_event(statement)


@pytest.mark.parametrize(("text", "seconds"), [("PT5S", 5), ("PT1H", 3600), ("P1DT1M", 86460)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
