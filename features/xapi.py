"""xAPI statement → :class:`~features.events.LearningEvent` conversion.

Mapping (xAPI 1.0.3):

* ``id`` → ``event_id`` (generated when absent); ``timestamp`` → ``timestamp``.
* ``actor.account.name`` → ``learner_id``. An actor identified only by ``mbox`` or
  ``mbox_sha1sum`` becomes ``mbox:<sha1>`` so no e-mail address enters the platform.
* ``verb.id`` (IRI) → :class:`~features.events.Verb` through :data:`XAPI_VERB_IRIS` and a few
  common aliases; an unknown IRI is an error naming ``verb.id``.
* ``object.id`` → ``object.id`` (the last path segment of an activity IRI);
  ``object.definition.type`` → :class:`~features.events.ObjectType`.
* ``result.success`` → ``correct``, ``result.score.scaled`` → ``score``, ``result.duration``
  (ISO 8601) → ``duration_s``, ``result.response`` → ``response``.
* ``context.registration`` → ``session_id``, ``context.platform`` → ``platform``; context
  extensions :data:`SKILLS_EXTENSION` (list of skill ids) and :data:`EXPERIMENTS_EXTENSION`
  (experiment → variant) fill ``skill_ids`` and ``context.experiments``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from features.events import (
    XAPI_VERB_IRIS,
    EventValidationError,
    FieldError,
    LearningEvent,
    ObjectType,
    Verb,
    parse_learning_event,
)

SKILLS_EXTENSION = "https://learnloop.dev/xapi/extensions/skill_ids"
EXPERIMENTS_EXTENSION = "https://learnloop.dev/xapi/extensions/experiments"

VERB_BY_IRI: dict[str, Verb] = {iri: verb for verb, iri in XAPI_VERB_IRIS.items()} | {
    "http://adlnet.gov/expapi/verbs/experienced": Verb.VIEWED,
    "http://adlnet.gov/expapi/verbs/initialized": Verb.STARTED,
    "http://adlnet.gov/expapi/verbs/responded": Verb.ANSWERED,
    "https://w3id.org/xapi/video/verbs/played": Verb.VIEWED,
}
ACTIVITY_TYPES: dict[str, ObjectType] = {
    "http://adlnet.gov/expapi/activities/question": ObjectType.PROBLEM,
    "http://adlnet.gov/expapi/activities/interaction": ObjectType.STEP,
    "http://adlnet.gov/expapi/activities/assessment": ObjectType.ASSESSMENT,
    "http://adlnet.gov/expapi/activities/lesson": ObjectType.LESSON,
    "http://adlnet.gov/expapi/activities/module": ObjectType.LESSON,
    "http://adlnet.gov/expapi/activities/course": ObjectType.COURSE,
    "http://adlnet.gov/expapi/activities/media": ObjectType.VIDEO,
    "https://w3id.org/xapi/video/activity-type/video": ObjectType.VIDEO,
    "http://adlnet.gov/expapi/activities/file": ObjectType.TEXT,
    "http://adlnet.gov/expapi/activities/link": ObjectType.EXTERNAL,
}
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def is_xapi_statement(data: Any) -> bool:
    """True when ``data`` looks like an xAPI statement (has ``actor`` and ``verb.id``)."""
    return (
        isinstance(data, dict)
        and "actor" in data
        and isinstance(data.get("verb"), dict)
        and "id" in data["verb"]
    )


def parse_duration(text: str) -> float:
    """Seconds in an ISO 8601 duration such as ``PT1M30.5S``."""
    match = _DURATION.match(text)
    if not match or text in {"P", "PT"}:
        raise ValueError(f"invalid ISO 8601 duration {text!r}")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def _learner_id(actor: Any) -> str:
    if not isinstance(actor, dict):
        raise EventValidationError([FieldError(field="actor", reason="must be an object")])
    account = actor.get("account")
    if isinstance(account, dict) and account.get("name"):
        return str(account["name"])
    if actor.get("mbox_sha1sum"):
        return f"mbox:{actor['mbox_sha1sum']}"
    if actor.get("mbox"):
        digest = hashlib.sha1(str(actor["mbox"]).encode(), usedforsecurity=False).hexdigest()
        return f"mbox:{digest}"
    raise EventValidationError(
        [FieldError(field="actor", reason="needs account.name, mbox or mbox_sha1sum")]
    )


def _object(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict) or not obj.get("id"):
        raise EventValidationError([FieldError(field="object.id", reason="field required")])
    activity_type = (obj.get("definition") or {}).get("type")
    object_type = ACTIVITY_TYPES.get(str(activity_type), ObjectType.EXTERNAL)
    if activity_type is None:
        object_type = ObjectType.PROBLEM
    return {"id": str(obj["id"]).rstrip("/").rsplit("/", 1)[-1], "type": object_type}


def _result(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "success" in result:
        out["correct"] = result["success"]
    scaled = (result.get("score") or {}).get("scaled")
    if scaled is not None:
        out["score"] = scaled
    if result.get("duration"):
        try:
            out["duration_s"] = parse_duration(str(result["duration"]))
        except ValueError as exc:
            raise EventValidationError(
                [FieldError(field="result.duration", reason=str(exc))]
            ) from None
    if "response" in result:
        out["response"] = result["response"]
    return out


def statement_to_event(statement: dict[str, Any]) -> LearningEvent:
    """Convert one xAPI statement into a validated ``LearningEvent``."""
    verb_iri = (statement.get("verb") or {}).get("id")
    verb = VERB_BY_IRI.get(str(verb_iri))
    if verb is None:
        allowed = ", ".join(sorted(VERB_BY_IRI))
        raise EventValidationError(
            [
                FieldError(
                    field="verb.id", reason=f"unknown xAPI verb {verb_iri!r}; allowed: {allowed}"
                )
            ]
        )
    context = statement.get("context") or {}
    extensions = context.get("extensions") or {}
    event: dict[str, Any] = {
        "learner_id": _learner_id(statement.get("actor")),
        "timestamp": statement.get("timestamp"),
        "verb": verb,
        "object": _object(statement.get("object")),
        "skill_ids": extensions.get(SKILLS_EXTENSION, []),
        "context": {
            "session_id": context.get("registration"),
            "platform": context.get("platform"),
            "source": "xapi",
            "experiments": extensions.get(EXPERIMENTS_EXTENSION, {}),
        },
    }
    if statement.get("id"):
        event["event_id"] = statement["id"]
    if statement.get("result"):
        event["result"] = _result(statement["result"])
    return parse_learning_event(event)
