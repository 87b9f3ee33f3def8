"""users: PII at rest — encrypted e-mail and full name, keyed blind index for e-mail lookups

Revision ID: users_0002
Revises: users_0001
Create Date: 2026-11-25 21:10:00

Existing rows are encrypted in place with the process settings' key (``security.pii_*`` or the
generated key file in the key dir); the downgrade decrypts them again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "users_0002"
down_revision: str | Sequence[str] | None = "users_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _cipher():  # type: ignore[no-untyped-def]
    from learnloop.settings import get_settings
    from learnloop.web.security_crypto import cipher_from_settings

    return cipher_from_settings(get_settings())


def _has_rows() -> bool:
    return op.get_bind().execute(sa.text("SELECT 1 FROM ums_users LIMIT 1")).first() is not None


def upgrade() -> None:
    with op.batch_alter_table("ums_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_index", sa.String(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_ums_users_email"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_ums_users_email_index"), ["email_index"])
        batch_op.alter_column(
            "email", existing_type=sa.String(length=320), type_=sa.String(length=1024)
        )
        batch_op.alter_column(
            "full_name", existing_type=sa.String(length=255), type_=sa.String(length=1024)
        )
    if _has_rows():
        from services.users.pii import reencrypt_users

        reencrypt_users(op.get_bind(), _cipher())


def downgrade() -> None:
    if _has_rows():
        from services.users.pii import decrypt_users

        decrypt_users(op.get_bind(), _cipher())
    with op.batch_alter_table("ums_users", schema=None) as batch_op:
        batch_op.alter_column(
            "full_name", existing_type=sa.String(length=1024), type_=sa.String(length=255)
        )
        batch_op.alter_column(
            "email", existing_type=sa.String(length=1024), type_=sa.String(length=320)
        )
        batch_op.drop_constraint(batch_op.f("uq_ums_users_email_index"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_ums_users_email"), ["email"])
        batch_op.drop_column("email_index")
