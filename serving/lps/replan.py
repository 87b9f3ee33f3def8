"""LPS's ProgressUpdateEvent consumer: re-plan stored paths when a learner is ahead or behind.

A :class:`features.streaming.BatchConsumer` in a background thread; offsets are committed after
the batch's re-plans are stored (at-least-once; re-applying an update is a no-op because the
path then already assumes that mastery). Malformed messages are skipped here: the lake sink
dead-letters them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from confluent_kafka import Message

from features.streaming import BatchConsumer, decode_batch, parse_progress_bytes
from learnloop.settings import Settings
from serving.lps.planning import PathService

logger = logging.getLogger(__name__)


class ReplanConsumer:
    """Consume ``ProgressUpdateEvent`` as ``serving.replan_group`` and re-plan."""

    def __init__(self, settings: Settings, service: PathService) -> None:
        self.service = service
        self.consumer = BatchConsumer(
            settings.kafka,
            group_id=settings.serving.replan_group,
            topics=[settings.kafka.progress_update_topic],
            batch_size=500,
            flush_interval_s=0.2,
        )
        self._thread: threading.Thread | None = None

    def handle(self, messages: Sequence[Message]) -> None:
        """Apply one batch (raising makes the consumer retry it)."""
        batch = decode_batch(messages, parse_progress_bytes)
        if batch.dead_letters:
            logger.warning("skipped %d malformed ProgressUpdateEvents", len(batch.dead_letters))
        for event in batch.events:
            self.service.apply_progress(event)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._thread = threading.Thread(
            target=self.consumer.run, args=(self.handle,), name="lps-replan", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Commit what was applied and stop."""
        self.consumer.stop()
        if self._thread is not None:
            self._thread.join(timeout_s)
