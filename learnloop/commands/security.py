"""``learnloop security``: PII key rotation (re-encrypt) and the retention-policy job."""

from __future__ import annotations

import typer

from learnloop.console import console
from learnloop.settings import get_settings

app = typer.Typer(
    help="Data protection: re-encrypt PII under the active key, apply the retention policy.",
    no_args_is_help=True,
)


@app.command("reencrypt")
def reencrypt() -> None:
    """Re-encrypt PII columns still under an old key (or plaintext) with the active key."""
    from learnloop.web.security_crypto import cipher_from_settings
    from services.common.db import Database
    from services.common.migrate import upgrade_database
    from services.notifications.pii import reencrypt_preferences
    from services.users.pii import reencrypt_users

    settings = get_settings()
    upgrade_database(settings.sqlalchemy_url)
    cipher = cipher_from_settings(settings)
    db = Database(settings.sqlalchemy_url)
    try:
        with db.engine.begin() as connection:
            changed = reencrypt_users(connection, cipher)
            preferences = reencrypt_preferences(connection, cipher)
    finally:
        db.dispose()
    console.print(f"re-encrypted {changed} user row(s) with key {cipher.active}")
    console.print(f"re-encrypted {preferences} notification preference row(s)")


@app.command("retention")
def retention() -> None:
    """Delete audit entries, spent refresh tokens and completed erasure requests past retention."""
    from services.common.db import Database, utcnow
    from services.common.migrate import upgrade_database
    from services.users.retention import purge_expired

    settings = get_settings()
    upgrade_database(settings.sqlalchemy_url)
    db = Database(settings.sqlalchemy_url)
    try:
        with db.session() as session:
            deleted = purge_expired(session, settings.security, now=utcnow())
    finally:
        db.dispose()
    for table, count in deleted.items():
        console.print(f"{table}: deleted {count}")
