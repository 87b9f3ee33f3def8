"""Outbox delivery against a real local HTTP target: retries, backoff, dead letters, e-mail."""

from __future__ import annotations

import json
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from sqlalchemy import select
from testkit.webhook_target import webhook_target

from learnloop.settings import NotificationSettings
from services.common.db import Database
from services.notifications.channels import EmailSender
from services.notifications.delivery import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    Deliverer,
    DeliveryFailedError,
    backoff_seconds,
    new_delivery,
    verify_signature,
)
from services.notifications.models import Delivery, Kind
from services.notifications.service import NewNotification, NotificationService

SECRET = b"hook-secret"


def notify_webhook(service: NotificationService, url: str) -> str:
    service.update_preferences("u1", {"webhook_url": url, "webhook_enabled": True})
    note = service.notify(
        NewNotification("u1", Kind.ANNOUNCEMENT, "Hello", "Body", dedupe_key="hello")
    )
    assert note is not None
    return note


def deliveries(db: Database) -> list[Delivery]:
    with db.session() as session:
        return list(session.scalars(select(Delivery)))


def test_webhook_survives_three_failures_and_is_delivered_once(db: Database) -> None:
    from services.common.db import utcnow
    from services.notifications.delivery import WebhookSender

    service = NotificationService(db, signing_secret=b"s", base_url="http://api.test")
    with webhook_target(failures=3) as target:
        notify_webhook(service, target.url)
        sender = WebhookSender(SECRET, timeout_s=2)
        deliverer = Deliverer(
            db, Delivery, {"webhook": sender}, base_s=0.05, cap_s=1, max_attempts=6, clock=utcnow
        )
        deadline = time.monotonic() + 20
        while not target.succeeded and time.monotonic() < deadline:
            deliverer.run_once()
            time.sleep(0.02)
        for _ in range(5):  # later passes must not resend
            deliverer.run_once()
        sender.close()
    assert [r.status for r in target.received] == [500, 500, 500, 200]
    (row,) = deliveries(db)
    assert row.status == "delivered" and row.attempts == 4
    assert {r.headers[DELIVERY_HEADER.lower()] for r in target.received} == {row.id}
    ok = target.succeeded[0]
    assert verify_signature(SECRET, ok.body, ok.headers[SIGNATURE_HEADER.lower()])
    assert not verify_signature(b"other", ok.body, ok.headers[SIGNATURE_HEADER.lower()])
    assert json.loads(ok.body)["title"] == "Hello"


def test_backoff_grows_exponentially_then_dead_letters(db: Database, clock) -> None:
    calls = []

    def failing(delivery: Delivery) -> None:
        calls.append(clock())
        raise DeliveryFailedError("HTTP 503")

    with db.session() as session:
        session.add(
            new_delivery(Delivery, channel="webhook", target="http://x", payload={}, at=clock())
        )
    deliverer = Deliverer(
        db, Delivery, {"webhook": failing}, base_s=10, cap_s=1000, max_attempts=4, clock=clock
    )
    gaps = []
    for _ in range(4):
        assert deliverer.run_once().delivered == 0
        row = deliveries(db)[0]
        if row.status == "pending":
            gaps.append((row.next_attempt_at - clock()).total_seconds())
            clock.now = row.next_attempt_at
    assert len(calls) == 4
    assert [round(g / 10) for g in gaps] == [1, 2, 4]
    row = deliveries(db)[0]
    assert row.status == "dead" and row.last_error == "HTTP 503"
    assert deliverer.run_once().dead == 0 and len(calls) == 4, "dead rows are not retried"
    assert deliverer.retry(row.id)
    assert deliveries(db)[0].status == "pending"
    assert not deliverer.retry(row.id), "only dead deliveries can be retried"


def test_backoff_is_capped() -> None:
    assert backoff_seconds(30, base_s=2, cap_s=60, jitter=0) == 60
    assert 4 <= backoff_seconds(2, base_s=2, cap_s=60) <= 4.4


def test_a_claimed_delivery_is_not_sent_by_another_worker(db: Database, clock) -> None:
    sent = []
    with db.session() as session:
        row = new_delivery(Delivery, channel="webhook", target="http://x", payload={}, at=clock())
        session.add(row)
    first = Deliverer(db, Delivery, {"webhook": sent.append}, clock=clock)
    second = Deliverer(db, Delivery, {"webhook": sent.append}, clock=clock)
    assert first._claim(row.id, clock()) is not None
    assert second.run_once().delivered == 0 and sent == []


def test_email_goes_to_the_mail_drop_with_unsubscribe_link(
    db: Database, service: NotificationService, tmp_path: Path
) -> None:
    service.update_preferences("u1", {"email": "ada@example.org"})
    service.notify(
        NewNotification("u1", Kind.MASTERY_REACHED, "Mastered", "Well done", dedupe_key="m1")
    )
    sender = EmailSender(NotificationSettings(), tmp_path / "mail")
    assert Deliverer(db, Delivery, {"email": sender}, clock=service.clock).run_once().delivered == 1
    (eml,) = (tmp_path / "mail").glob("*.eml")
    message = message_from_bytes(eml.read_bytes())
    assert message["To"] == "ada@example.org" and message["Subject"] == "Mastered"
    assert message["List-Unsubscribe"].startswith(
        "<http://api.test/notifications/unsubscribe?token="
    )


def test_unknown_channel_fails_the_delivery(db: Database, clock) -> None:
    with db.session() as session:
        session.add(new_delivery(Delivery, channel="sms", target="+1", payload={}, at=clock()))
    stats = Deliverer(db, Delivery, {}, clock=clock, max_attempts=1).run_once()
    assert stats.dead == 1
    assert "no sender for channel 'sms'" in (deliveries(db)[0].last_error or "")


@pytest.mark.parametrize("header", ["", "t=abc,v1=00", "v1=00"])
def test_malformed_signatures_do_not_verify(header: str) -> None:
    assert not verify_signature(SECRET, b"{}", header)


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("http://127.0.0.1:8000/x", True),
        ("http://10.1.2.3/x", True),
        ("http://169.254.169.254/latest", True),
        ("http://[::1]/x", True),
        ("https://8.8.8.8/hook", False),
        ("not a url", True),
    ],
)
def test_private_targets_are_recognised(url: str, private: bool) -> None:
    from services.notifications.delivery import private_target

    assert private_target(url) is private


def test_production_refuses_private_webhook_targets(db: Database, clock) -> None:
    from services.common.errors import InvalidInputError
    from services.notifications.delivery import WebhookSender

    strict = NotificationService(
        db, signing_secret=b"s", base_url="http://api.test", allow_private_webhooks=False
    )
    with pytest.raises(InvalidInputError, match="private network"):
        strict.update_preferences("u1", {"webhook_url": "http://127.0.0.1:9/x"})
    with webhook_target() as target:
        with db.session() as session:
            session.add(
                new_delivery(Delivery, channel="webhook", target=target.url, payload={}, at=clock())
            )
        sender = WebhookSender(SECRET, allow_private=False)
        stats = Deliverer(db, Delivery, {"webhook": sender}, clock=clock, max_attempts=1).run_once()
        sender.close()
    assert stats.dead == 1 and target.received == []
