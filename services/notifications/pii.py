"""Re-encryption of the notification preferences' e-mail column (see ``services.users.pii``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from learnloop.web.security_crypto import PiiCipher, decrypt_table, reencrypt_table

TABLE, KEY, ENCRYPTED = "ns_preferences", "user_id", ("email",)


def reencrypt_preferences(connection: Connection, cipher: PiiCipher) -> int:
    """Rewrite every preference row not yet under the active key; rows changed."""
    return reencrypt_table(connection, cipher, TABLE, KEY, ENCRYPTED)


def decrypt_preferences(connection: Connection, cipher: PiiCipher) -> None:
    """Turn the e-mail column back into plaintext (the migration's downgrade)."""
    decrypt_table(connection, cipher, TABLE, KEY, ENCRYPTED)
