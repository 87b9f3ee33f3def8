"""Outbound delivery through a transactional outbox: retries, exponential backoff, dead letters.

A delivery row is written in the same transaction as the change that causes it (a
notification, a lifecycle event), so nothing is sent for a rolled-back change and nothing is
lost when the target is down. :class:`Deliverer` sends due rows: it first *claims* a row
(conditional update with a lease, so two workers never send the same row at once), sends it
outside any transaction, then marks it ``delivered`` or schedules the next attempt after
``base * 2**(attempts - 1)`` seconds (capped, with a little jitter); after ``max_attempts``
failures the row is ``dead`` (the dead-letter state) until an operator retries it.

Delivery is at-least-once (a crash between send and mark resends after the lease); every
request carries the delivery id (``X-Learnloop-Delivery``) so receivers can drop repeats, and
webhooks are HMAC-signed (``X-Learnloop-Signature: t=<unix>,v1=<hex sha256>`` over
``"<t>.<body>"``), which :func:`verify_signature` checks.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from services.common.db import Database, UTCDateTime, utcnow
from services.common.periodic import PeriodicWorker

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Learnloop-Signature"
DELIVERY_HEADER = "X-Learnloop-Delivery"


class DeliveryStatus(StrEnum):
    """Life cycle of a delivery."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class DeliveryFailedError(Exception):
    """The target refused or could not be reached; the delivery will be retried."""


class DeliveryMixin:
    """Columns of a delivery outbox table."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


DeliveryT = TypeVar("DeliveryT", bound="DeliveryMixin")


def new_delivery(
    model: type[DeliveryT], *, channel: str, target: str, payload: Mapping[str, Any], at: datetime
) -> DeliveryT:
    """A pending delivery row (add it to the session of the change that causes it)."""
    row = model()
    row.id = str(uuid.uuid4())
    row.channel, row.target = channel, target
    row.payload = json.dumps(payload, sort_keys=True, default=str)
    row.status, row.attempts = DeliveryStatus.PENDING.value, 0
    row.next_attempt_at = row.created_at = at
    return row


def backoff_seconds(attempts: int, *, base_s: float, cap_s: float, jitter: float = 0.1) -> float:
    """Wait before the next try after ``attempts`` failures: ``base * 2**(attempts-1)``, capped.

    ``jitter`` adds up to that share at random so retries of many rows spread out.
    """
    delay = min(cap_s, base_s * 2 ** max(attempts - 1, 0))
    return delay * (1.0 + jitter * random.random())  # noqa: S311 - spreading, not security


def signature_header(secret: bytes, body: bytes, timestamp: int) -> str:
    """``t=<timestamp>,v1=<HMAC-SHA256(secret, "<t>.<body>")>``."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: bytes, body: bytes, header: str, *, tolerance_s: int = 300, now: float | None = None
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and is at most ``tolerance_s`` old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance_s:
        return False
    expected = signature_header(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def private_target(url: str) -> bool:
    """True when ``url``'s host resolves to a loopback, private, link-local or reserved address.

    Used to refuse user-supplied webhook URLs that point into the platform's own network
    (server-side request forgery) outside development and tests.
    """
    host = urlsplit(url).hostname
    if not host:
        return True
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False  # unresolvable: the send fails on its own
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            return True
    return False


class Sender(Protocol):
    """Sends one delivery or raises :class:`DeliveryFailedError`."""

    def __call__(self, delivery: DeliveryMixin) -> None: ...


class WebhookSender:
    """POSTs the payload as JSON, signed; any 2xx is success.

    ``allow_private=False`` (production) refuses targets on private networks.
    """

    def __init__(
        self,
        secret: bytes,
        *,
        timeout_s: float = 5.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        allow_private: bool = True,
    ) -> None:
        self.secret = secret
        self.clock = clock
        self.allow_private = allow_private
        self.client = httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False)

    def __call__(self, delivery: DeliveryMixin) -> None:
        if not self.allow_private and private_target(delivery.target):
            raise DeliveryFailedError(f"{delivery.target} is on a private network; refused")
        body = delivery.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "learnloop-webhooks/1",
            DELIVERY_HEADER: delivery.id,
            SIGNATURE_HEADER: signature_header(self.secret, body, int(self.clock())),
        }
        try:
            response = self.client.post(delivery.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailedError(f"{type(exc).__name__}: {exc}") from None
        if not response.is_success:
            raise DeliveryFailedError(f"HTTP {response.status_code} from {delivery.target}")

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()


@dataclass
class DeliveryStats:
    """What one :meth:`Deliverer.run_once` pass did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0


class Deliverer:
    """Sends due rows of one delivery table with the sender of their channel."""

    def __init__(
        self,
        db: Database,
        model: type[DeliveryMixin],
        senders: Mapping[str, Sender],
        *,
        max_attempts: int = 6,
        base_s: float = 2.0,
        cap_s: float = 3600.0,
        lease_s: float = 60.0,
        poll_s: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db, self.model, self.senders = db, model, dict(senders)
        self.max_attempts, self.base_s, self.cap_s = max_attempts, base_s, cap_s
        self.lease_s, self.poll_s, self.clock = lease_s, poll_s, clock
        self._worker = PeriodicWorker(
            self.run_once, interval_s=poll_s, name=f"deliver-{model.__name__}"
        )

    def _due_ids(self, now: datetime, batch: int) -> list[str]:
        m = self.model
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(m.id)
                    .where(m.status == DeliveryStatus.PENDING.value, m.next_attempt_at <= now)
                    .where(or_(m.locked_until.is_(None), m.locked_until < now))
                    .order_by(m.next_attempt_at, m.id)
                    .limit(batch)
                )
            )

    def _claim(self, delivery_id: str, now: datetime) -> DeliveryMixin | None:
        m = self.model
        with self.db.session() as session:
            claimed = session.execute(
                update(m)
                .where(m.id == delivery_id, m.status == DeliveryStatus.PENDING.value)
                .where(or_(m.locked_until.is_(None), m.locked_until < now))
                .values(locked_until=now + timedelta(seconds=self.lease_s), attempts=m.attempts + 1)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(m, delivery_id)

    def _finish(self, delivery_id: str, error: str | None, attempts: int) -> str:
        now = self.clock()
        values: dict[str, Any] = {"locked_until": None}
        if error is None:
            values |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": now}
            outcome = "delivered"
        elif attempts >= self.max_attempts:
            values |= {"status": DeliveryStatus.DEAD.value, "last_error": error[:2000]}
            outcome = "dead"
        else:
            delay = backoff_seconds(attempts, base_s=self.base_s, cap_s=self.cap_s)
            values |= {
                "next_attempt_at": now + timedelta(seconds=delay),
                "last_error": error[:2000],
            }
            outcome = "retried"
        with self.db.session() as session:
            session.execute(update(self.model).where(self.model.id == delivery_id).values(**values))
        return outcome

    def run_once(self, *, batch: int = 50) -> DeliveryStats:
        """Send every due delivery once; returns what happened."""
        stats = DeliveryStats()
        now = self.clock()
        for delivery_id in self._due_ids(now, batch):
            delivery = self._claim(delivery_id, now)
            if delivery is None:
                continue
            sender = self.senders.get(delivery.channel)
            error: str | None = None
            if sender is None:
                error = f"no sender for channel {delivery.channel!r}"
            else:
                try:
                    sender(delivery)
                except DeliveryFailedError as exc:
                    error = str(exc)
                except Exception as exc:  # a bug in a sender must not stop the others
                    logger.exception("delivery %s: sender crashed", delivery_id)
                    error = f"{type(exc).__name__}: {exc}"
            outcome = self._finish(delivery_id, error, delivery.attempts)
            setattr(stats, outcome, getattr(stats, outcome) + 1)
            if outcome == "dead":
                logger.warning(
                    "delivery %s dead-lettered after %d attempts: %s",
                    delivery_id,
                    delivery.attempts,
                    error,
                )
        return stats

    def retry(self, delivery_id: str) -> bool:
        """Put a dead delivery back in the queue (attempts reset); False if it is not dead."""
        m = self.model
        with self.db.session() as session:
            result = session.execute(
                update(m)
                .where(m.id == delivery_id, m.status == DeliveryStatus.DEAD.value)
                .values(
                    status=DeliveryStatus.PENDING.value,
                    attempts=0,
                    next_attempt_at=self.clock(),
                    locked_until=None,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def kick(self) -> None:
        """Wake the background loop now (after enqueuing)."""
        self._worker.wake()

    def start(self) -> None:
        """Send in a background thread every ``poll_s`` (and on :meth:`kick`)."""
        self._worker.start()

    def stop(self) -> None:
        """Stop the background thread."""
        self._worker.stop()
