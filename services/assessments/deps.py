"""AS dependencies: outbox relay, event topic."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.deps import PlatformDep
from services.common.outbox import OutboxRelay

OUTBOX = "assessments.outbox"
SUBJECTS = "assessments.subjects"


def get_outbox(platform: PlatformDep) -> OutboxRelay:
    """Relay of the LearningEvents AS emits."""
    return platform.resource(OUTBOX, OutboxRelay)


def get_topic(platform: PlatformDep) -> str:
    """The LearningEvent topic."""
    return platform.settings.kafka.learning_event_topic


OutboxDep = Annotated[OutboxRelay, Depends(get_outbox)]
TopicDep = Annotated[str, Depends(get_topic)]
