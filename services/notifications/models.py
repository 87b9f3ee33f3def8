"""NS tables (``ns_*``): inbox notifications, preferences, deliveries (outbox), streaks."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from learnloop.web.security_crypto import EncryptedText
from services.common.db import UTCDateTime, service_metadata, utcnow
from services.notifications.delivery import DeliveryMixin


class Base(DeclarativeBase):
    """Declarative base of the NS tables."""

    metadata = service_metadata()


class Kind(StrEnum):
    """What a notification is about (users can mute each kind)."""

    MASTERY_REACHED = "mastery_reached"
    PATH_STEP_DUE = "path_step_due"
    STREAK_AT_RISK = "streak_at_risk"
    ANNOUNCEMENT = "announcement"


class Channel(StrEnum):
    """Where a notification goes besides the in-app inbox."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class Notification(Base):
    """One in-app inbox entry; ``dedupe_key`` makes triggers idempotent."""

    __tablename__ = "ns_notifications"
    __table_args__ = (Index("ix_ns_notifications_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Preference(Base):
    """A user's channels, muted kinds, quiet hours and unsubscribe state."""

    __tablename__ = "ns_preferences"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    email: Mapped[str | None] = mapped_column(
        EncryptedText("ns_preferences.email"), nullable=True
    )  # AES-256-GCM at rest (learnloop.web.security_crypto)
    webhook_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    muted_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    unsubscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Delivery(DeliveryMixin, Base):
    """An e-mail or webhook send of a notification, retried until delivered or dead."""

    __tablename__ = "ns_deliveries"
    __table_args__ = (Index("ix_ns_deliveries_due", "status", "next_attempt_at"),)

    notification_id: Mapped[str | None] = mapped_column(
        ForeignKey("ns_notifications.id", ondelete="CASCADE"), nullable=True
    )


class Streak(Base):
    """Consecutive active days of a learner (fed by learning events)."""

    __tablename__ = "ns_streaks"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_active: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer, default=1)
