"""Transactional outbox: nothing is lost while the bus is down, order is kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import DeclarativeBase

from services.common.db import Database, service_metadata
from services.common.events import InProcessEventBus
from services.common.outbox import OutboxMixin, OutboxRelay, enqueue


class Base(DeclarativeBase):
    metadata = service_metadata()


class Outbox(OutboxMixin, Base):
    __tablename__ = "test_outbox"


class FlakyBus(InProcessEventBus):
    """Fails while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def publish(self, topic: str, key: str, value: bytes) -> None:
        if self.down:
            raise ConnectionError("broker unreachable")
        super().publish(topic, key, value)


def test_events_wait_in_the_outbox_and_go_out_in_order(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'o.db'}")
    Base.metadata.create_all(db.engine)
    bus = FlakyBus()
    relay = OutboxRelay(db, Outbox, bus, background=False)
    with db.session() as session:
        for i in range(3):
            enqueue(session, Outbox, "t", "k", f"event-{i}")
    relay.kick()
    assert relay.pending() == 3 and bus.history == []
    bus.down = False
    relay.kick()
    assert relay.pending() == 0
    assert [v for _, _, v in bus.history] == [b"event-0", b"event-1", b"event-2"]


def test_rolled_back_changes_send_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'o.db'}")
    Base.metadata.create_all(db.engine)
    try:
        with db.session() as session:
            enqueue(session, Outbox, "t", "k", "never")
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    bus = InProcessEventBus()
    OutboxRelay(db, Outbox, bus, background=False).flush()
    assert bus.history == []


def test_failing_handler_means_redelivery(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'o.db'}")
    Base.metadata.create_all(db.engine)
    bus = InProcessEventBus()
    seen: list[bytes] = []
    fail = {"left": 1}

    def handler(value: bytes) -> None:
        seen.append(value)
        if fail["left"]:
            fail["left"] -= 1
            raise RuntimeError("consumer crashed")

    bus.subscribe("t", "g", handler)
    relay = OutboxRelay(db, Outbox, bus, background=False)
    with db.session() as session:
        enqueue(session, Outbox, "t", "k", "e")
    relay.kick()
    assert relay.pending() == 1
    relay.kick()
    assert relay.pending() == 0 and seen == [b"e", b"e"]  # at-least-once
