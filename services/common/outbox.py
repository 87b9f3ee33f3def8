"""Transactional outbox: events are written with the data change, then relayed to the bus.

A service adds rows to its own outbox table in the same transaction as the change that caused
them, so an event is never lost (broker down) nor sent for a change that rolled back. The relay
publishes pending rows in order and marks them sent; a failure leaves them pending for the next
pass. Delivered rows are deleted (no second copy of personal data lingers). Delivery is
at-least-once: consumers dedupe on the event id.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.common.db import Database, UTCDateTime, utcnow
from services.common.events import EventBus
from services.common.periodic import PeriodicWorker

logger = logging.getLogger(__name__)


class OutboxMixin:
    """Columns of a service's outbox table (``<prefix>_outbox``)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    topic: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


def enqueue(session: Session, model: type[OutboxMixin], topic: str, key: str, payload: str) -> None:
    """Add an event to the outbox inside the caller's transaction."""
    row = model()
    row.id = str(uuid.uuid4())
    row.topic, row.key, row.payload = topic, key, payload
    row.created_at = utcnow()
    row.attempts = 0
    session.add(row)


class OutboxRelay:
    """Publish pending outbox rows; ``kick()`` after a commit, a thread retries the rest.

    ``background=False`` (in-process bus) relays inside ``kick()`` itself, so effects are
    visible when the request returns.
    """

    def __init__(
        self,
        db: Database,
        model: type[OutboxMixin],
        bus: EventBus,
        *,
        background: bool | None = None,
        interval_s: float = 1.0,
        batch: int = 200,
    ):
        self.db = db
        self.model = model
        self.bus = bus
        self.background = (not bus.synchronous) if background is None else background
        self.interval_s = interval_s
        self.batch = batch
        self._flush_lock = threading.Lock()
        self._worker = PeriodicWorker(
            self.flush, interval_s=interval_s, name=f"outbox-{model.__name__}"
        )

    def flush(self) -> int:
        """Publish pending rows in creation order; stop at the first failure. Returns count.

        No transaction stays open while publishing: with the in-process bus the handlers
        write to the same database (SQLite would refuse a stale writer).
        """
        sent = 0
        with self._flush_lock:
            while True:
                with self.db.session() as session:
                    pending = session.execute(
                        select(self.model.id, self.model.topic, self.model.key, self.model.payload)
                        .where(self.model.published_at.is_(None))
                        .order_by(self.model.created_at, self.model.id)
                        .limit(self.batch)
                    ).all()
                if not pending:
                    return sent
                for row_id, topic, key, payload in pending:
                    error: str | None = None
                    try:
                        self.bus.publish(topic, key, payload.encode())
                    except Exception as exc:
                        error = str(exc)[:2000]
                        logger.warning("outbox relay: %s not delivered yet: %s", topic, exc)
                    with self.db.session() as session:
                        row = session.get(self.model, row_id)
                        if row is not None and error is None:
                            session.delete(row)  # delivered: keep no copy of the payload
                        elif row is not None:
                            row.attempts += 1
                            row.last_error = error
                    if error is not None:
                        return sent
                    sent += 1

    def kick(self) -> None:
        """Relay now (synchronously, or by waking the background thread)."""
        if self.background:
            self._worker.wake()
        else:
            self.flush()

    def pending(self) -> int:
        """Rows not yet delivered."""
        with self.db.session() as session:
            return len(
                session.scalars(
                    select(self.model.id).where(self.model.published_at.is_(None))
                ).all()
            )

    def start(self) -> None:
        """Start the background relay thread (no-op when not in background mode)."""
        if self.background:
            self._worker.start()

    def stop(self) -> None:
        """Stop the thread after a last flush."""
        if not self._worker.running:
            return
        self._worker.stop()
        try:
            self.flush()
        except Exception:
            logger.exception("final outbox flush failed")
