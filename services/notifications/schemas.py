"""NS request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NotificationPublic(BaseModel):
    """An inbox entry."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class InboxPublic(BaseModel):
    """A page of the caller's inbox, newest first."""

    data: list[NotificationPublic]
    count: int
    unread: int
    limit: int
    offset: int


class PreferencesPublic(BaseModel):
    """The caller's notification preferences."""

    model_config = ConfigDict(from_attributes=True)

    email: str | None
    webhook_url: str | None
    email_enabled: bool
    webhook_enabled: bool
    muted_kinds: list[str]
    quiet_start: str | None
    quiet_end: str | None
    timezone: str
    unsubscribed: bool


class PreferencesUpdate(BaseModel):
    """Fields to change (omitted fields stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    webhook_url: str | None = Field(default=None, max_length=2000)
    email_enabled: bool | None = None
    webhook_enabled: bool | None = None
    muted_kinds: list[str] | None = Field(default=None, max_length=20)
    quiet_start: str | None = Field(default=None, max_length=5)
    quiet_end: str | None = Field(default=None, max_length=5)
    timezone: str | None = Field(default=None, max_length=64)
    unsubscribed: bool | None = None


class ReadAll(BaseModel):
    """How many notifications were marked read."""

    updated: int


class Unsubscribed(BaseModel):
    """Result of an unsubscribe link."""

    user_id: str
    kind: str | None = Field(description="The muted kind, or null when unsubscribed from all.")


class DeliveryPublic(BaseModel):
    """An outbound delivery (admin view of the outbox and its dead letters)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    channel: str
    target: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveriesPublic(BaseModel):
    """Deliveries, oldest first."""

    data: list[DeliveryPublic]
