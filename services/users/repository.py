"""UMS data access (SQLAlchemy 2): keyword-only verb_noun functions over ``ums_*`` tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from services.common.db import utcnow
from services.users.models import AuditEntry, PrivacyRequest, RefreshToken, User


def get_user(session: Session, *, user_id: str) -> User | None:
    """A user by id."""
    return session.get(User, user_id)


def get_user_by_email(session: Session, *, email: str) -> User | None:
    """A user by e-mail (through the keyed blind index; e-mails are stored encrypted)."""
    return session.scalar(select(User).where(User.email_index == email.lower()))


def create_user(session: Session, *, user: User) -> User:
    """Insert a user (flushes so unique constraints fire here)."""
    session.add(user)
    session.flush()
    return user


def list_users(session: Session, *, offset: int, limit: int) -> tuple[list[User], int]:
    """A page of users by creation time, and the total count."""
    count = session.scalar(select(func.count()).select_from(User)) or 0
    rows = session.scalars(
        select(User).order_by(User.created_at, User.id).offset(offset).limit(limit)
    ).all()
    return list(rows), count


def delete_user(session: Session, *, user_id: str) -> int:
    """Delete a user and their refresh tokens; returns rows deleted."""
    tokens = session.execute(delete(RefreshToken).where(RefreshToken.user_id == user_id))
    users = session.execute(delete(User).where(User.id == user_id))
    return int(getattr(tokens, "rowcount", 0) or 0) + int(getattr(users, "rowcount", 0) or 0)


def add_refresh_token(session: Session, *, token: RefreshToken) -> None:
    """Store a refresh token (hash only)."""
    session.add(token)


def get_refresh_token(session: Session, *, token_hash: str) -> RefreshToken | None:
    """A refresh token by its hash."""
    return session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))


def mark_refresh_token_used(session: Session, *, token_id: str, at: datetime) -> bool:
    """Atomically mark a token rotated; False when another request used it first."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def revoke_family(session: Session, *, family_id: str, reason: str) -> int:
    """Revoke every token of a family; returns how many were still live."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def list_refresh_tokens(session: Session, *, user_id: str) -> list[RefreshToken]:
    """All refresh tokens of a user (for export)."""
    return list(
        session.scalars(
            select(RefreshToken)
            .where(RefreshToken.user_id == user_id)
            .order_by(RefreshToken.issued_at)
        ).all()
    )


def add_audit_entry(
    session: Session,
    *,
    action: str,
    actor: str | None,
    subject: str | None,
    request_id: str | None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append to the audit log."""
    entry = AuditEntry(
        id=str(uuid.uuid4()),
        at=utcnow(),
        action=action,
        actor=actor,
        subject=subject,
        request_id=request_id,
        detail=detail or {},
    )
    session.add(entry)
    return entry


def list_audit_entries(
    session: Session, *, subject: str | None, action: str | None, offset: int, limit: int
) -> tuple[list[AuditEntry], int]:
    """Audit entries, newest first, filtered by subject pseudonym and/or action."""
    query = select(AuditEntry)
    if subject is not None:
        query = query.where((AuditEntry.subject == subject) | (AuditEntry.actor == subject))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id).offset(offset).limit(limit)
    ).all()
    return list(rows), count


def add_privacy_request(session: Session, *, request: PrivacyRequest) -> None:
    """Store a new privacy request."""
    session.add(request)


def get_privacy_request(session: Session, *, request_id: str) -> PrivacyRequest | None:
    """A privacy request by id."""
    return session.get(PrivacyRequest, request_id)
