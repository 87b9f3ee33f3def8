"""Re-encryption of the users' PII columns: legacy plaintext and old key ids to the active key.

Runs from the ``users_0002`` migration (existing rows) and ``learnloop security reencrypt``
(after a key rotation). Works on raw column values (plain SQL types), in batches, idempotently.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from learnloop.web.security_crypto import PiiCipher

USERS = sa.table(
    "ums_users",
    sa.column("id", sa.String),
    sa.column("email", sa.String),
    sa.column("email_index", sa.String),
    sa.column("full_name", sa.String),
)
ENCRYPTED = ("email", "full_name")


def reencrypt_users(connection: Connection, cipher: PiiCipher, *, batch: int = 500) -> int:
    """Rewrite every user row not yet under the active key (or not encrypted); rows changed."""
    changed, after = 0, ""
    while True:
        rows = connection.execute(
            sa.select(USERS).where(USERS.c.id > after).order_by(USERS.c.id).limit(batch)
        ).all()
        if not rows:
            return changed
        for row in rows:
            values: dict[str, str | None] = {}
            for name in ENCRYPTED:
                stored = getattr(row, name)
                if stored is not None and cipher.key_id(stored) != cipher.active:
                    plain = cipher.decrypt(stored, f"ums_users.{name}")
                    values[name] = cipher.encrypt(plain, f"ums_users.{name}")
            if row.email is not None:
                index = cipher.blind_index(cipher.decrypt(row.email, "ums_users.email"))
                if index != row.email_index:
                    values["email_index"] = index
            if values:
                connection.execute(sa.update(USERS).where(USERS.c.id == row.id).values(**values))
                changed += 1
        after = rows[-1].id


def decrypt_users(connection: Connection, cipher: PiiCipher) -> None:
    """Turn the PII columns back into plaintext (the migration's downgrade)."""
    for row in connection.execute(sa.select(USERS)).all():
        values = {
            name: cipher.decrypt(getattr(row, name), f"ums_users.{name}")
            for name in ENCRYPTED
            if getattr(row, name) is not None
        }
        if values:
            connection.execute(sa.update(USERS).where(USERS.c.id == row.id).values(**values))
