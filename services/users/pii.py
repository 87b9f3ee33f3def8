"""Re-encryption of the users' PII columns: legacy plaintext and old key ids to the active key.

Runs from the ``users_0002`` migration (existing rows) and ``learnloop security reencrypt``
(after a key rotation).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from learnloop.web.security_crypto import PiiCipher, decrypt_table, reencrypt_table

TABLE, KEY, ENCRYPTED = "ums_users", "id", ("email", "full_name")


def reencrypt_users(connection: Connection, cipher: PiiCipher) -> int:
    """Rewrite every user row not yet under the active key; rows changed."""
    return reencrypt_table(
        connection, cipher, TABLE, KEY, ENCRYPTED, index=("email", "email_index")
    )


def decrypt_users(connection: Connection, cipher: PiiCipher) -> None:
    """Turn the PII columns back into plaintext (the migration's downgrade)."""
    decrypt_table(connection, cipher, TABLE, KEY, ENCRYPTED)
