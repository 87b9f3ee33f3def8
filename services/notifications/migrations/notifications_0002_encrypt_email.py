"""notifications: preference e-mail encrypted at rest (AES-256-GCM)

Revision ID: notifications_0002
Revises: notifications_0001
Create Date: 2026-11-25 22:00:00

Existing rows are encrypted with the process settings' key; the downgrade decrypts them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "notifications_0002"
down_revision: str | Sequence[str] | None = "notifications_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _cipher():  # type: ignore[no-untyped-def]
    from learnloop.settings import get_settings
    from learnloop.web.security_crypto import cipher_from_settings

    return cipher_from_settings(get_settings())


def _has_rows() -> bool:
    query = sa.text("SELECT 1 FROM ns_preferences WHERE email IS NOT NULL LIMIT 1")
    return op.get_bind().execute(query).first() is not None


def upgrade() -> None:
    with op.batch_alter_table("ns_preferences", schema=None) as batch_op:
        batch_op.alter_column(
            "email", existing_type=sa.String(length=320), type_=sa.String(length=1024)
        )
    if _has_rows():
        from services.notifications.pii import reencrypt_preferences

        reencrypt_preferences(op.get_bind(), _cipher())


def downgrade() -> None:
    if _has_rows():
        from services.notifications.pii import decrypt_preferences

        decrypt_preferences(op.get_bind(), _cipher())
    with op.batch_alter_table("ns_preferences", schema=None) as batch_op:
        batch_op.alter_column(
            "email", existing_type=sa.String(length=1024), type_=sa.String(length=320)
        )
