"""Integration tables (``int_*``): processed Stripe events, subscriptions, CRM deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, service_metadata, utcnow
from services.notifications.delivery import DeliveryMixin


class Base(DeclarativeBase):
    """Declarative base of the integration tables."""

    metadata = service_metadata()


class StripeEvent(Base):
    """A Stripe event already handled (idempotency), with the signature timestamp it came with."""

    __tablename__ = "int_stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(128))
    signed_at: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(Base):
    """A user's subscription state as last reported by Stripe."""

    __tablename__ = "int_subscriptions"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    price_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    event_created: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CrmDelivery(DeliveryMixin, Base):
    """An outbound, signed CRM lifecycle webhook (retried until delivered or dead)."""

    __tablename__ = "int_crm_deliveries"
    __table_args__ = (Index("ix_int_crm_deliveries_due", "status", "next_attempt_at"),)
