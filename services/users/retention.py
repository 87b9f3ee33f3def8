"""Retention policy of the identity service's records (``learnloop security retention``).

Audit entries, spent refresh tokens and completed erasure requests are deleted once older than
their ``security.*_retention_days``; live tokens and pending requests are never touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from learnloop.settings import SecuritySettings
from services.users.models import AuditEntry, PrivacyRequest, RefreshToken


def _deleted(session: Session, statement: object) -> int:
    return int(getattr(session.execute(statement), "rowcount", 0) or 0)  # type: ignore[call-overload]


def purge_expired(session: Session, policy: SecuritySettings, *, now: datetime) -> dict[str, int]:
    """Delete records past retention; rows deleted per table."""
    audit_cutoff = now - timedelta(days=policy.audit_retention_days)
    token_cutoff = now - timedelta(days=policy.token_retention_days)
    request_cutoff = now - timedelta(days=policy.privacy_request_retention_days)
    return {
        "ums_audit_log": _deleted(session, delete(AuditEntry).where(AuditEntry.at < audit_cutoff)),
        "ums_refresh_tokens": _deleted(
            session,
            delete(RefreshToken).where(
                or_(RefreshToken.expires_at < token_cutoff, RefreshToken.revoked_at < token_cutoff)
            ),
        ),
        "ums_privacy_requests": _deleted(
            session,
            delete(PrivacyRequest).where(PrivacyRequest.completed_at < request_cutoff),
        ),
    }
