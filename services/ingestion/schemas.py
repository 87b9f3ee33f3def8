"""Request and response bodies of the ingestion API."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field, RootModel

from learnloop.web.problems import FieldProblem


class EventsIn(RootModel[list[dict[str, Any]] | dict[str, Any]]):
    """One event or a JSON array of events; each a LearningEvent or an xAPI statement."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "event_id": "0b5e2f3c-7a51-4c1e-9d56-0c2a35a1f7a1",
                    "learner_id": "learner-42",
                    "timestamp": "2026-03-02T10:15:00Z",
                    "verb": "answered",
                    "object": {"id": "problem-17", "type": "problem"},
                    "skill_ids": ["fractions"],
                    "result": {"correct": True, "duration_s": 31.5},
                }
            ]
        }
    }


class RejectedEvent(BaseModel):
    """An input item that was not accepted, and why (per field)."""

    index: int = Field(description="Position in the request (0 for a single event).")
    errors: list[FieldProblem]


class EventsAccepted(BaseModel):
    """The broker acknowledged every accepted event (202)."""

    accepted: int
    rejected: int
    event_ids: list[uuid.UUID] = Field(
        description="Ids of the accepted events in request order; reuse them when retrying."
    )
    errors: list[RejectedEvent] = Field(default_factory=list)
