"""UMS tables (``ums_*``): users, refresh-token families, audit log, privacy requests, outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

from learnloop.web.security_crypto import BlindIndex, EncryptedText
from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.outbox import OutboxMixin


class Base(DeclarativeBase):
    """Declarative base of the UMS tables."""

    metadata = service_metadata()


class User(Base):
    """A learnloop account (local password, or federated from an external issuer).

    E-mail and full name are AES-256-GCM encrypted at rest; ``email_index`` (keyed HMAC of the
    e-mail, set whenever the e-mail is) makes lookups and uniqueness work without decrypting.
    """

    __tablename__ = "ums_users"
    __table_args__ = (UniqueConstraint("external_issuer", "external_subject"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str | None] = mapped_column(EncryptedText("ums_users.email"), nullable=True)
    email_index: Mapped[str | None] = mapped_column(BlindIndex(), unique=True, nullable=True)
    full_name: Mapped[str | None] = mapped_column(
        EncryptedText("ums_users.full_name"), nullable=True
    )
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    external_issuer: Mapped[str | None] = mapped_column(String(512), nullable=True)
    external_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @validates("email")
    def _index_email(self, _key: str, value: str | None) -> str | None:
        self.email_index = value  # hashed by the column type when written
        return value


class RefreshToken(Base):
    """One refresh token (stored as a SHA-256 hash) in a rotation family."""

    __tablename__ = "ums_refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("ums_users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditEntry(Base):
    """Security and privacy audit trail; people appear only as keyed pseudonyms."""

    __tablename__ = "ums_audit_log"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    subject: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PrivacyRequest(Base):
    """An erasure request and each store's answer."""

    __tablename__ = "ums_privacy_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), index=True)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Outbox(OutboxMixin, Base):
    """Events waiting to be relayed (privacy requests)."""

    __tablename__ = "ums_outbox"


__all__ = ["AuditEntry", "Base", "Outbox", "PrivacyRequest", "RefreshToken", "User"]
