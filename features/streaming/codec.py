"""Wire format of canonical events: UTF-8 JSON values keyed by learner id."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from confluent_kafka import Message
from pydantic import BaseModel

from features.events import (
    EventValidationError,
    LearningEvent,
    ProgressUpdateEvent,
    parse_learning_event,
    parse_progress_event,
)
from features.streaming.dlq import DeadLetter
from features.streaming.producer import OutgoingMessage

EventT = TypeVar("EventT", bound=BaseModel)


def encode(event: LearningEvent | ProgressUpdateEvent, topic: str) -> OutgoingMessage:
    """The message for ``event`` on ``topic``, keyed by learner id (per-learner ordering)."""
    return OutgoingMessage(
        topic=topic, value=event.model_dump_json(exclude_none=True).encode(), key=event.learner_id
    )


@dataclass
class Decoded(Generic[EventT]):
    """A batch split into parsed events (with their messages) and dead letters."""

    events: list[EventT]
    messages: list[Message]
    dead_letters: list[DeadLetter]


def decode_batch(messages: Sequence[Message], parse: Callable[[bytes], EventT]) -> Decoded[EventT]:
    """Parse every message value with ``parse``; failures become dead letters with reasons."""
    out: Decoded[EventT] = Decoded([], [], [])
    for message in messages:
        value = message.value()
        if value is None:
            out.dead_letters.append(DeadLetter(message, "(root): empty message value"))
            continue
        try:
            out.events.append(parse(value))
            out.messages.append(message)
        except EventValidationError as exc:
            out.dead_letters.append(DeadLetter(message, str(exc)))
        except UnicodeDecodeError:
            out.dead_letters.append(DeadLetter(message, "(root): value is not UTF-8 text"))
    return out


def parse_learning_bytes(value: bytes) -> LearningEvent:
    """Parse a ``LearningEventStream`` message value."""
    return parse_learning_event(value)


def parse_progress_bytes(value: bytes) -> ProgressUpdateEvent:
    """Parse a ``ProgressUpdateEvent`` message value."""
    return parse_progress_event(value)
