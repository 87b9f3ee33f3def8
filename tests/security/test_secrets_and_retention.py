"""Secrets never reach a log line (through the PII filter of ``learnloop.log``), and the
retention-policy job deletes exactly the records past their retention."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from testkit.gateway_harness import Gateway
from testkit.logs import captured_logs
from typer.testing import CliRunner

from learnloop.cli import app as cli
from learnloop.settings import SecuritySettings, Settings, get_settings
from learnloop.web.security_crypto import cipher_from_settings
from services.common.db import utcnow
from services.users.models import AuditEntry, PrivacyRequest, RefreshToken
from services.users.retention import purge_expired

DB_PASSWORD = "Db-Pa55word-" + secrets.token_hex(4)
PII_KEY = base64.b64encode(secrets.token_bytes(32)).decode()
WEBHOOK = "whsec_" + secrets.token_hex(12)
SMTP = "smtp-" + secrets.token_hex(6)
PSEUDONYM = "pseudo-" + secrets.token_hex(8)


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The root logger's output, formatted exactly like ``configure_logging`` does."""
    with captured_logs() as stream:
        yield stream


def test_secrets_in_settings_urls_and_errors_never_reach_the_log(
    log_stream: io.StringIO, tmp_path: object
) -> None:
    settings = Settings(
        env="test",
        data_dir=tmp_path,
        database_url=f"postgresql+psycopg://learnloop:{DB_PASSWORD}@10.0.0.5:5432/learnloop",
        auth={"pseudonym_secret": PSEUDONYM},
        integrations={"stripe_webhook_secret": WEBHOOK},
        notifications={"smtp_password": SMTP},
        rate_limit={"redis_url": f"redis://:{DB_PASSWORD}@10.0.0.6:6379/0"},
        security={"pii_keys": {"k1": PII_KEY}, "pii_active_key": "k1", "pii_index_key": PII_KEY},
    )
    cipher = cipher_from_settings(settings)
    log = logging.getLogger("learnloop.test.secrets")
    log.info("starting with %s", settings)
    log.info("settings dump %s", settings.model_dump())
    log.info("connecting to %s", settings.sqlalchemy_url)
    log.info("rate limits via %s", settings.rate_limit.redis_url)
    log.info("cipher %r", cipher)
    log.info("stripe webhook secret=%s", WEBHOOK)
    log.info("config", extra={"client_secret": WEBHOOK, "password": SMTP, "api_key": PII_KEY})
    try:
        raise ConnectionError(f"cannot reach {settings.sqlalchemy_url}")
    except ConnectionError:
        log.exception("database down")
    output = log_stream.getvalue()
    assert len(output.splitlines()) == 8 and all(json.loads(x) for x in output.splitlines())
    raw_keys = [base64.b64decode(PII_KEY).hex(), str(base64.b64decode(PII_KEY))]
    for secret in (DB_PASSWORD, PII_KEY, WEBHOOK, SMTP, PSEUDONYM, *raw_keys):
        assert secret not in output, secret
    assert "10.0.0.5:5432" in output  # the rest of the URL is still useful


def _seed(gateway: Gateway, user_id: str, age: timedelta, tag: str) -> None:
    now = utcnow()
    with gateway.platform.db.session() as session:
        session.add(AuditEntry(id=str(uuid.uuid4()), at=now - age, action=f"test.{tag}", detail={}))
        session.add(
            RefreshToken(
                id=str(uuid.uuid4()), user_id=user_id, family_id=str(uuid.uuid4()),
                token_hash=secrets.token_hex(32), issued_at=now - age - timedelta(days=1),
                expires_at=now - age,
            )
        )  # fmt: skip
        done = now - age
        session.add(
            PrivacyRequest(
                id=str(uuid.uuid4()), subject=f"p-{tag}", requested_by="x", requested_at=done,
                stores={}, completed_at=done,
            )
        )  # fmt: skip


def _counts(gateway: Gateway, user_id: str) -> tuple[int, int, int]:
    with gateway.platform.db.session() as session:
        audit = session.query(AuditEntry).filter(AuditEntry.action.like("test.%")).count()
        tokens = session.query(RefreshToken).filter(RefreshToken.user_id == user_id).count()
        requests = session.query(PrivacyRequest).filter(PrivacyRequest.subject.like("p-%")).count()
    return audit, tokens, requests


def test_retention_deletes_only_what_is_past_its_policy(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_id, _headers = gateway.make_user()
    live_tokens = _counts(gateway, user_id)[1]  # the login's token: not expired
    policy = SecuritySettings(
        audit_retention_days=30, token_retention_days=7, privacy_request_retention_days=60
    )
    _seed(gateway, user_id, timedelta(days=1), "recent")
    _seed(gateway, user_id, timedelta(days=20), "middle")  # only the token is past retention
    _seed(gateway, user_id, timedelta(days=90), "old")
    assert _counts(gateway, user_id) == (3, live_tokens + 3, 3)
    with gateway.platform.db.session() as session:
        deleted = purge_expired(session, policy, now=utcnow())
    assert deleted["ums_audit_log"] == 1 and deleted["ums_privacy_requests"] == 1
    assert deleted["ums_refresh_tokens"] == 2
    assert _counts(gateway, user_id) == (2, live_tokens + 1, 2)

    # The same job from the CLI, with the policy from LEARNLOOP_SECURITY__*.
    monkeypatch.setenv("LEARNLOOP_DATABASE_URL", gateway.platform.settings.sqlalchemy_url)
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(gateway.platform.settings.data_dir))
    monkeypatch.setenv("LEARNLOOP_SECURITY__AUDIT_RETENTION_DAYS", "10")
    monkeypatch.setenv("LEARNLOOP_SECURITY__PRIVACY_REQUEST_RETENTION_DAYS", "10")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["security", "retention"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "ums_audit_log: deleted 1" in result.output
    assert "ums_privacy_requests: deleted 1" in result.output
    assert _counts(gateway, user_id) == (1, live_tokens + 1, 1)
