"""PII at rest: AES-256-GCM column encryption with key ids (rotation) and keyed blind indexes.

A value is stored as ``enc:v1:<key id>:<base64url(nonce | ciphertext | tag)>``; the column name
is the associated data, so a ciphertext moved to another column does not decrypt. Old key ids
stay in the key ring to decrypt; new values use the active key; ``reencrypt`` jobs move rows to
it. Equality lookups (login by e-mail) use a blind index: HMAC-SHA256 of the normalised value
under a separate key. Values without the ``enc:`` prefix are legacy plaintext (read as is,
rewritten by the re-encrypt job).

Keys come from ``security.pii_keys`` / ``pii_active_key`` / ``pii_index_key`` (KMS-provided in
production); without them one key set is generated into the key dir (``pii.keys``, mode 0600).
The column types find their cipher through the engine's dialect (:func:`bind_cipher`), so
several platforms with different keys can share a process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import weakref
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

from learnloop.settings import Settings, get_settings

PREFIX = "enc:v1:"
KEY_FILE = "pii.keys"
NONCE_BYTES = 12


class PiiKeyError(ValueError):
    """A ciphertext names a key id the key ring does not hold, or fails authentication."""


@dataclass(frozen=True, repr=False)
class PiiCipher:
    """AES-256-GCM key ring (key id -> 32-byte key), the active key id and the index key."""

    keys: dict[str, bytes]
    active: str
    index_key: bytes

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise PiiKeyError(f"active key {self.active!r} not in the key ring")
        for kid, key in self.keys.items():
            if len(key) != 32 or ":" in kid:
                raise PiiKeyError(f"key {kid!r} must be 32 bytes (AES-256) with no ':' in its id")

    def __repr__(self) -> str:  # never key material (logs, tracebacks)
        return f"PiiCipher(keys={sorted(self.keys)}, active={self.active!r})"

    def encrypt(self, plaintext: str, context: str) -> str:
        """Ciphertext of ``plaintext`` under the active key, bound to ``context``."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active]).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}{self.active}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> str:
        """Plaintext of a stored value (legacy plaintext passes through)."""
        if not stored.startswith(PREFIX):
            return stored
        kid, _, payload = stored[len(PREFIX) :].partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise PiiKeyError(f"no key {kid!r} in the PII key ring (was it removed too early?)")
        raw = base64.urlsafe_b64decode(payload)
        try:
            plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except Exception as exc:  # cryptography raises InvalidTag
            raise PiiKeyError(f"ciphertext under key {kid!r} failed authentication") from exc
        return plain.decode()

    def key_id(self, stored: str | None) -> str | None:
        """Key id of a stored value (None for legacy plaintext or NULL)."""
        if stored is None or not stored.startswith(PREFIX):
            return None
        return stored[len(PREFIX) :].partition(":")[0]

    def blind_index(self, value: str) -> str:
        """Keyed HMAC-SHA256 (hex) of the case-folded, trimmed value."""
        normalised = value.strip().casefold().encode()
        return hmac.new(self.index_key, normalised, hashlib.sha256).hexdigest()


def _b64key(value: str) -> bytes:
    return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_")


def _generated(settings: Settings) -> dict[str, Any]:
    path = settings.key_dir / KEY_FILE
    if not path.exists():
        settings.key_dir.mkdir(parents=True, exist_ok=True)
        active = f"local-{secrets.token_hex(4)}"
        content = {
            "active": active,
            "keys": {active: base64.b64encode(secrets.token_bytes(32)).decode()},
            "index_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race
        else:
            with os.fdopen(fd, "w") as handle:
                json.dump(content, handle)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def cipher_from_settings(settings: Settings) -> PiiCipher:
    """The PII cipher of ``settings`` (configured keys, else the generated local key file)."""
    security = settings.security
    local = None if security.pii_keys and security.pii_index_key else _generated(settings)
    if security.pii_keys:
        keys = {k: _b64key(v.get_secret_value()) for k, v in security.pii_keys.items()}
        active = security.pii_active_key or ""
    else:
        assert local is not None
        keys = {k: _b64key(v) for k, v in local["keys"].items()}
        active = local["active"]
    index = (
        security.pii_index_key.get_secret_value()
        if security.pii_index_key
        else str(local["index_key"] if local else "")
    )
    return PiiCipher(keys=keys, active=active, index_key=_b64key(index))


_CIPHERS: weakref.WeakKeyDictionary[Any, PiiCipher] = weakref.WeakKeyDictionary()


def bind_cipher(engine: Engine, cipher: PiiCipher) -> None:
    """Use ``cipher`` for the encrypted columns of every session on ``engine``."""
    _CIPHERS[engine.dialect] = cipher


def cipher_for(dialect: Any) -> PiiCipher:
    """The cipher bound to ``dialect``'s engine, else the process settings' cipher."""
    cipher = _CIPHERS.get(dialect)
    if cipher is None:
        cipher = _CIPHERS[dialect] = cipher_from_settings(get_settings())
    return cipher


class EncryptedText(TypeDecorator[str]):
    """A text column stored AES-256-GCM encrypted (``context`` is the associated data)."""

    impl = String(1024)
    cache_ok = True

    def __init__(self, context: str, length: int = 1024):
        super().__init__(length)
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return cipher_for(dialect).encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else cipher_for(dialect).decrypt(value, self.context)


class BlindIndex(TypeDecorator[str]):
    """A column holding the keyed HMAC of a value; compare it with the plain value."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else cipher_for(dialect).blind_index(value)


def reencrypt_table(
    connection: Connection,
    cipher: PiiCipher,
    table: str,
    key: str,
    columns: tuple[str, ...],
    *,
    index: tuple[str, str] | None = None,
    batch: int = 500,
) -> int:
    """Rewrite rows of ``table`` whose ``columns`` are plaintext or under an old key id (and
    refresh the blind index ``index = (source column, index column)``); rows changed.
    Works on raw values (``<table>.<column>`` is the associated data), in key order batches."""
    names = {key, *columns, *(index or ())}
    rows_of = sa.table(table, *(sa.column(n, sa.String) for n in names))
    changed, after = 0, ""
    while True:
        rows = connection.execute(
            sa.select(rows_of).where(rows_of.c[key] > after).order_by(rows_of.c[key]).limit(batch)
        ).all()
        if not rows:
            return changed
        for row in rows:
            values: dict[str, str] = {}
            for name in columns:
                stored = getattr(row, name)
                if stored is not None and cipher.key_id(stored) != cipher.active:
                    plain = cipher.decrypt(stored, f"{table}.{name}")
                    values[name] = cipher.encrypt(plain, f"{table}.{name}")
            if index is not None and getattr(row, index[0]) is not None:
                source = cipher.decrypt(getattr(row, index[0]), f"{table}.{index[0]}")
                if cipher.blind_index(source) != getattr(row, index[1]):
                    values[index[1]] = cipher.blind_index(source)
            if values:
                connection.execute(
                    sa.update(rows_of).where(rows_of.c[key] == getattr(row, key)).values(**values)
                )
                changed += 1
        after = getattr(rows[-1], key)


def decrypt_table(
    connection: Connection, cipher: PiiCipher, table: str, key: str, columns: tuple[str, ...]
) -> None:
    """Turn encrypted ``columns`` back into plaintext (migration downgrades)."""
    rows_of = sa.table(table, *(sa.column(n, sa.String) for n in {key, *columns}))
    for row in connection.execute(sa.select(rows_of)).all():
        values = {
            name: cipher.decrypt(getattr(row, name), f"{table}.{name}")
            for name in columns
            if getattr(row, name) is not None
        }
        if values:
            connection.execute(
                sa.update(rows_of).where(rows_of.c[key] == getattr(row, key)).values(**values)
            )
