"""NS domain logic: create notifications (inbox + outbox deliveries), inbox, preferences."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from services.common.db import Database, utcnow
from services.common.errors import InvalidInputError, NotFoundError
from services.notifications.delivery import new_delivery, private_target
from services.notifications.models import Channel, Delivery, Kind, Notification, Preference
from services.notifications.quiet import next_allowed, parse_hhmm, zone

PREFERENCE_FIELDS = (
    "email",
    "webhook_url",
    "email_enabled",
    "webhook_enabled",
    "muted_kinds",
    "quiet_start",
    "quiet_end",
    "timezone",
    "unsubscribed",
)


@dataclass(frozen=True)
class NewNotification:
    """What a trigger wants to tell a user; ``dedupe_key`` makes repeats no-ops."""

    user_id: str
    kind: Kind
    title: str
    body: str
    dedupe_key: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboxPage:
    """A page of a user's inbox, newest first."""

    items: list[Notification]
    total: int
    unread: int


def default_preference(user_id: str) -> Preference:
    """Preferences of a user who never set any (in-app and e-mail on, no quiet hours)."""
    return Preference(
        user_id=user_id,
        email=None,
        webhook_url=None,
        email_enabled=True,
        webhook_enabled=False,
        muted_kinds=[],
        quiet_start=None,
        quiet_end=None,
        timezone="UTC",
        unsubscribed=False,
    )


class NotificationService:
    """Creates notifications and their deliveries in one transaction; reads the inbox."""

    def __init__(
        self,
        db: Database,
        *,
        signing_secret: bytes,
        base_url: str,
        clock: Callable[[], datetime] = utcnow,
        on_enqueued: Callable[[], None] | None = None,
        allow_private_webhooks: bool = True,
    ) -> None:
        self.db, self.secret, self.base_url, self.clock = db, signing_secret, base_url, clock
        self.on_enqueued = on_enqueued
        self.allow_private_webhooks = allow_private_webhooks

    # ---------------------------------------------------------------- creating
    def notify(self, new: NewNotification) -> str | None:
        """Inbox entry plus e-mail/webhook deliveries per preferences; None if muted or repeat."""
        now = self.clock()
        with self.db.session() as session:
            if session.scalar(
                select(Notification.id).where(Notification.dedupe_key == new.dedupe_key)
            ):
                return None
            pref = session.get(Preference, new.user_id) or default_preference(new.user_id)
            if new.kind.value in pref.muted_kinds:
                return None
            note = Notification(
                id=str(uuid.uuid4()),
                user_id=new.user_id,
                kind=new.kind.value,
                title=new.title,
                body=new.body,
                data=new.data,
                dedupe_key=new.dedupe_key,
                created_at=now,
            )
            session.add(note)
            try:
                session.flush()  # before the deliveries that reference it
            except IntegrityError:  # a concurrent trigger inserted the same dedupe key
                session.rollback()
                return None
            session.add_all(self._deliveries(pref, note, now))
        if self.on_enqueued:
            self.on_enqueued()
        return note.id

    def _deliveries(self, pref: Preference, note: Notification, now: datetime) -> list[Delivery]:
        if pref.unsubscribed:
            return []
        send_at = next_allowed(now, pref.quiet_start, pref.quiet_end, pref.timezone)
        out = []
        unsubscribe_url = self.unsubscribe_url(note.user_id, note.kind)
        if pref.email_enabled and pref.email:
            text = f"{note.body}\n\nUnsubscribe from these e-mails: {unsubscribe_url}\n"
            mail = {"subject": note.title, "text": text, "unsubscribe_url": unsubscribe_url}
            out.append(self._delivery(Channel.EMAIL, pref.email, mail, note, send_at))
        if pref.webhook_enabled and pref.webhook_url:
            hook: dict[str, Any] = {
                "id": note.id,
                "type": f"notification.{note.kind}",
                "user_id": note.user_id,
                "title": note.title,
                "body": note.body,
                "data": note.data,
                "created_at": note.created_at.isoformat(),
            }
            out.append(self._delivery(Channel.WEBHOOK, pref.webhook_url, hook, note, send_at))
        return out

    @staticmethod
    def _delivery(
        channel: Channel, target: str, payload: dict[str, Any], note: Notification, at: datetime
    ) -> Delivery:
        row = new_delivery(Delivery, channel=channel.value, target=target, payload=payload, at=at)
        row.notification_id = note.id
        return row

    # ---------------------------------------------------------------- inbox
    def inbox(
        self, user_id: str, *, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> InboxPage:
        """A user's notifications, newest first."""
        with self.db.session() as session:
            mine = select(Notification).where(Notification.user_id == user_id)
            if unread_only:
                mine = mine.where(Notification.read_at.is_(None))
            total = session.scalar(select(func.count()).select_from(mine.subquery())) or 0
            unread = (
                session.scalar(
                    select(func.count()).where(
                        Notification.user_id == user_id, Notification.read_at.is_(None)
                    )
                )
                or 0
            )
            items = session.scalars(
                mine.order_by(Notification.created_at.desc(), Notification.id)
                .limit(limit)
                .offset(offset)
            ).all()
            return InboxPage(list(items), int(total), int(unread))

    def mark_read(self, user_id: str, notification_id: str) -> Notification:
        """Mark one of the user's notifications read (404 for anyone else's)."""
        with self.db.session() as session:
            note = session.get(Notification, notification_id)
            if note is None or note.user_id != user_id:
                raise NotFoundError(f"notification {notification_id} not found")
            if note.read_at is None:
                note.read_at = self.clock()
            return note

    def mark_all_read(self, user_id: str) -> int:
        """Mark every unread notification of the user read; returns how many."""
        with self.db.session() as session:
            result = session.execute(
                update(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                .values(read_at=self.clock())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- preferences
    def preferences(self, user_id: str) -> Preference:
        """The user's preferences (defaults when never set)."""
        with self.db.session() as session:
            return session.get(Preference, user_id) or default_preference(user_id)

    def update_preferences(self, user_id: str, changes: dict[str, Any]) -> Preference:
        """Apply ``changes`` (validated; unknown fields refused) and return the result."""
        unknown = sorted(set(changes) - set(PREFERENCE_FIELDS))
        if unknown:
            raise InvalidInputError(f"unknown preference(s) {unknown}", field=unknown[0])
        _validate(changes)
        url = changes.get("webhook_url")
        if url and not self.allow_private_webhooks and private_target(url):
            raise InvalidInputError(
                f"webhook_url {url!r} is on a private network", field="webhook_url"
            )
        with self.db.session() as session:
            pref = session.get(Preference, user_id)
            if pref is None:
                pref = default_preference(user_id)
                session.add(pref)
            for key, value in changes.items():
                setattr(pref, key, value)
            if bool(pref.quiet_start) != bool(pref.quiet_end):
                raise InvalidInputError(
                    "set both quiet_start and quiet_end, or neither", field="quiet_start"
                )
            return pref

    # ---------------------------------------------------------------- unsubscribe
    def unsubscribe_token(self, user_id: str, kind: str | None = None) -> str:
        """Signed token that unsubscribes ``user_id`` from ``kind`` (or from everything)."""
        raw = f"{user_id}\x1f{kind or ''}".encode()
        body = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        mac = hmac.new(self.secret, raw, hashlib.sha256).hexdigest()[:32]
        return f"{body}.{mac}"

    def unsubscribe_url(self, user_id: str, kind: str | None = None) -> str:
        """Public one-click link with the token."""
        return f"{self.base_url.rstrip('/')}/notifications/unsubscribe?token=" + (
            self.unsubscribe_token(user_id, kind)
        )

    def unsubscribe(self, token: str) -> tuple[str, str | None]:
        """Apply an unsubscribe token; returns ``(user_id, kind or None for everything)``."""
        try:
            body, mac = token.split(".", 1)
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            user_id, kind = raw.decode().split("\x1f", 1)
        except ValueError:
            raise InvalidInputError("malformed unsubscribe token", field="token") from None
        expected = hmac.new(self.secret, raw, hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(expected, mac):
            raise InvalidInputError("invalid unsubscribe token", field="token")
        with self.db.session() as session:
            pref = session.get(Preference, user_id)
            if pref is None:
                pref = default_preference(user_id)
                session.add(pref)
            if kind:
                pref.muted_kinds = sorted({*pref.muted_kinds, kind})
            else:
                pref.unsubscribed = True
        return user_id, kind or None


def _validate(changes: dict[str, Any]) -> None:
    try:
        for key in ("quiet_start", "quiet_end"):
            if changes.get(key):
                parse_hhmm(changes[key], key)
        if "timezone" in changes:
            zone(changes["timezone"])
    except ValueError as exc:
        raise InvalidInputError(str(exc), field=str(exc).split("=", 1)[0]) from None
    url = changes.get("webhook_url")
    if url and urlsplit(url).scheme not in {"http", "https"}:
        raise InvalidInputError(f"webhook_url {url!r} must be http(s)", field="webhook_url")
    kinds = changes.get("muted_kinds") or []
    bad = [k for k in kinds if k not in Kind._value2member_map_]
    if bad:
        allowed = ", ".join(k.value for k in Kind)
        raise InvalidInputError(f"unknown kind(s) {bad}; allowed: {allowed}", field="muted_kinds")
