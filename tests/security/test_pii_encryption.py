"""PII at rest (OWASP A02): e-mail and full name are AES-256-GCM ciphertext in PostgreSQL, login
works through the keyed blind index, keys rotate (old keys decrypt, ``learnloop security
reencrypt`` moves rows to the new key), legacy plaintext rows are encrypted by the same job."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from testkit.gateway_harness import PASSWORD, Gateway
from typer.testing import CliRunner

from learnloop.cli import app as cli
from learnloop.settings import get_settings
from learnloop.web.security_crypto import PiiCipher, PiiKeyError

pytestmark = pytest.mark.integration


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


K1, K2, INDEX = _key(), _key(), _key()


def _security(keys: dict[str, str], active: str) -> dict[str, Any]:
    return {"security": {"pii_keys": keys, "pii_active_key": active, "pii_index_key": INDEX}}


@pytest.fixture(scope="module")
def database_url(postgres_url: str) -> str:
    return postgres_url


def _raw_user(url: str, user_id: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT email, email_index, full_name FROM ums_users WHERE id = :id"),
                {"id": user_id},
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def _register(gateway: Gateway, email: str, name: str) -> str:
    answer = gateway.client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "full_name": name}
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_cipher_properties() -> None:
    cipher = PiiCipher(
        keys={"a": secrets.token_bytes(32)}, active="a", index_key=secrets.token_bytes(32)
    )
    one, two = (
        cipher.encrypt("ada@example.com", "t.email"),
        cipher.encrypt("ada@example.com", "t.email"),
    )
    assert one != two and one.startswith("enc:v1:a:")  # random nonces
    assert cipher.decrypt(one, "t.email") == "ada@example.com"
    with pytest.raises(PiiKeyError):
        cipher.decrypt(one, "t.full_name")  # bound to its column
    tampered = one[:-4] + ("AAAA" if not one.endswith("AAAA") else "BBBB")
    with pytest.raises(PiiKeyError):
        cipher.decrypt(tampered, "t.email")
    with pytest.raises(PiiKeyError):
        cipher.decrypt(one.replace("enc:v1:a:", "enc:v1:gone:"), "t.email")
    assert cipher.blind_index(" Ada@Example.com ") == cipher.blind_index("ada@example.com")
    with pytest.raises(PiiKeyError):
        PiiCipher(keys={"a": b"short"}, active="a", index_key=b"x")


def test_pii_is_ciphertext_in_the_database_and_login_still_works(
    make_gateway: Callable[..., Gateway], database_url: str
) -> None:
    gateway = make_gateway(**_security({"k1": K1}, "k1"))
    email = f"grace-{uuid.uuid4().hex[:6]}@example.com"
    user_id = _register(gateway, email, "Grace Hopper")
    raw = _raw_user(database_url, user_id)
    assert raw["email"].startswith("enc:v1:k1:") and raw["full_name"].startswith("enc:v1:k1:")
    assert email not in str(raw) and "Grace" not in str(raw)
    assert len(raw["email_index"]) == 64
    token = gateway.login(email.upper())  # blind index is case-insensitive
    me = gateway.client.get("/users/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["email"] == email and me["full_name"] == "Grace Hopper"
    prefs = {"Authorization": f"Bearer {token}"}
    notify_to = f"notify-{uuid.uuid4().hex[:6]}@example.com"
    saved = gateway.client.put(
        "/notifications/preferences", json={"email": notify_to}, headers=prefs
    )
    assert saved.status_code == 200, saved.text
    assert (
        gateway.client.get("/notifications/preferences", headers=prefs).json()["email"] == notify_to
    )
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT email FROM ns_preferences WHERE user_id = :id"), {"id": user_id}
        ).scalar_one()
    engine.dispose()
    assert stored.startswith("enc:v1:k1:") and notify_to not in stored
    duplicate = gateway.client.post(
        "/auth/register", json={"email": email.title(), "password": PASSWORD}
    )
    assert duplicate.status_code == 409


def test_key_rotation_old_keys_decrypt_and_reencrypt_moves_rows(
    make_gateway: Callable[..., Gateway],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = make_gateway(**_security({"k1": K1}, "k1"))
    email = f"rotate-{uuid.uuid4().hex[:6]}@example.com"
    user_id = _register(old, email, "Old Key")
    # A legacy row written before encryption existed (plaintext, no blind index).
    legacy_id, legacy_email = str(uuid.uuid4()), f"legacy-{uuid.uuid4().hex[:6]}@example.com"
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ums_users (id, email, full_name, password_hash, roles, is_active,"
                " created_at, updated_at) SELECT :id, :email, 'Legacy Name', password_hash,"
                " roles, true, created_at, updated_at FROM ums_users WHERE id = :src"
            ),
            {"id": legacy_id, "email": legacy_email, "src": user_id},
        )
    engine.dispose()

    rotated = make_gateway(**_security({"k1": K1, "k2": K2}, "k2"))
    rotated.login(email)  # old ciphertext still decrypts, index unchanged
    newcomer = _register(rotated, f"new-{uuid.uuid4().hex[:6]}@example.com", "New Key")
    assert _raw_user(database_url, newcomer)["email"].startswith("enc:v1:k2:")
    assert _raw_user(database_url, user_id)["email"].startswith("enc:v1:k1:")

    engine = create_engine(database_url)
    with engine.connect() as connection:
        stale = connection.execute(
            text("SELECT count(*) FROM ums_users WHERE email NOT LIKE 'enc:v1:k2:%'")
        ).scalar_one()
    engine.dispose()
    assert stale >= 2  # at least the k1 row and the legacy row
    monkeypatch.setenv("LEARNLOOP_DATABASE_URL", database_url)
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(rotated.platform.settings.data_dir))
    monkeypatch.setenv("LEARNLOOP_SECURITY__PII_KEYS", f'{{"k1": "{K1}", "k2": "{K2}"}}')
    monkeypatch.setenv("LEARNLOOP_SECURITY__PII_ACTIVE_KEY", "k2")
    monkeypatch.setenv("LEARNLOOP_SECURITY__PII_INDEX_KEY", INDEX)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["security", "reencrypt"])
        again = CliRunner().invoke(cli, ["security", "reencrypt"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"re-encrypted {stale} user row(s) with key k2" in result.output
    assert "re-encrypted 1 notification preference row(s)" in result.output  # the k1 one
    assert "re-encrypted 0 user row(s)" in again.output  # idempotent
    assert "re-encrypted 0 notification preference row(s)" in again.output
    for uid in (user_id, legacy_id):
        raw = _raw_user(database_url, uid)
        assert raw["email"].startswith("enc:v1:k2:") and raw["full_name"].startswith("enc:v1:k2:")
        assert "legacy" not in str(raw).lower()

    only_new = make_gateway(**_security({"k2": K2}, "k2"))  # k1 retired after re-encryption
    only_new.login(email)
    only_new.login(legacy_email)
