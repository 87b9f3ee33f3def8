"""RSA signing keys in a folder, with rotation, published as a JWKS.

Each key is ``<kid>.pem`` (PKCS#8, mode 0600). The kid starts with the creation time, so the
newest key signs and older keys stay published until they are retired (older than the rotation
period plus ``grace_s``, long enough for every token they signed to expire). Several processes
may share the folder: an unknown kid triggers a rescan.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048
KID_TIME_FORMAT = "%Y%m%d%H%M%S"  # a kid starts with its key's creation time (UTC)


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_jwk(public_key: rsa.RSAPublicKey, kid: str, *, use: str = "sig") -> dict[str, str]:
    """The JWK of an RSA public key."""
    numbers = public_key.public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "use": use,
        "alg": "RS256",
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
    }


@dataclass(frozen=True)
class SigningKey:
    """One RSA key pair and its key id."""

    kid: str
    private_key: rsa.RSAPrivateKey
    created_at: float

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public half."""
        return self.private_key.public_key()

    def public_pem(self) -> bytes:
        """The public key as PEM (SubjectPublicKeyInfo)."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _new_kid(key: rsa.RSAPrivateKey, created_at: float) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stamp = time.strftime(KID_TIME_FORMAT, time.gmtime(created_at))
    return f"{stamp}-{hashlib.sha256(der).hexdigest()[:12]}"


def _kid_time(kid: str) -> float:
    """The creation time a kid of :func:`_new_kid` starts with (0 for another kid)."""
    try:
        return calendar.timegm(time.strptime(kid.partition("-")[0], KID_TIME_FORMAT))
    except ValueError:
        return 0.0


class KeysNotManagedError(RuntimeError):
    """The keys are provided from outside (``managed=False``): none to use, or none to make."""


class KeyStore:
    """Signing keys kept in ``directory``; created on first use.

    With ``managed=False`` the folder is provided (e.g. a mounted Kubernetes Secret holding
    ``<kid>.pem`` files, rotated by its owner): keys are only read, never created or deleted;
    their age is the creation time in the kid (a mounted file's time is when it was mounted), the
    newest signs, and :meth:`rotate` raises :class:`KeysNotManagedError`.
    """

    def __init__(self, directory: Path, *, rotation_s: float, grace_s: float, managed: bool = True):
        self.directory = directory
        self.rotation_s = rotation_s
        self.grace_s = grace_s
        self.managed = managed
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {}

    def _load(self) -> None:
        keys = {}
        for path in sorted(self.directory.glob("*.pem")):
            pem = path.read_bytes()
            private_key = serialization.load_pem_private_key(pem, password=None)
            if not isinstance(private_key, rsa.RSAPrivateKey):
                continue
            created = path.stat().st_mtime if self.managed else _kid_time(path.stem)
            keys[path.stem] = SigningKey(path.stem, private_key, created)
        self._keys = keys

    def _write(self, key: SigningKey) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        pem = key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = self.directory / f".{key.kid}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.utime(tmp, (key.created_at, key.created_at))
        tmp.replace(self.directory / f"{key.kid}.pem")

    def rotate(self) -> SigningKey:
        """Create a new key that signs from now on; older keys stay published."""
        if not self.managed:
            raise KeysNotManagedError(
                f"the signing keys in {self.directory} are provided (auth.manage_keys is false): "
                "add a new key where they come from (e.g. the secret store) instead"
            )
        with self._lock:
            created_at = time.time()
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
            key = SigningKey(_new_kid(private_key, created_at), private_key, created_at)
            self._write(key)
            self._keys[key.kid] = key
            return key

    def ensure(self) -> SigningKey:
        """Load the keys, rotate if none is younger than the rotation period, prune old ones."""
        with self._lock:
            self._load()
        active = self._newest()
        if not self.managed:
            if active is None:
                raise KeysNotManagedError(
                    f"no signing key in {self.directory}: auth.manage_keys is false, so the keys "
                    "must be provided there as <kid>.pem files (`learnloop users new-key` "
                    "writes one)"
                )
            return active
        if active is None or time.time() - active.created_at > self.rotation_s:
            active = self.rotate()
        self.prune()
        return active

    def _newest(self) -> SigningKey | None:
        return max(self._keys.values(), key=lambda k: (k.created_at, k.kid), default=None)

    def active(self) -> SigningKey:
        """The key that signs new tokens."""
        key = self._newest()
        return key if key is not None else self.ensure()

    def get(self, kid: str) -> SigningKey | None:
        """The key with ``kid`` (rescanning the folder once if unknown), or None."""
        key = self._keys.get(kid)
        if key is None and self._safe_kid(kid) and (self.directory / f"{kid}.pem").exists():
            with self._lock:
                self._load()
            key = self._keys.get(kid)
        return key

    @staticmethod
    def _safe_kid(kid: str) -> bool:
        return bool(kid) and len(kid) <= 64 and all(c.isalnum() or c == "-" for c in kid)

    def prune(self) -> list[str]:
        """Delete keys retired longer ago than the grace period; return their kids."""
        newest = self._newest()
        removed = []
        with self._lock:
            for kid, key in list(self._keys.items()):
                if key is newest:
                    continue
                if time.time() - key.created_at > self.rotation_s + self.grace_s:
                    (self.directory / f"{kid}.pem").unlink(missing_ok=True)
                    del self._keys[kid]
                    removed.append(kid)
        return removed

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public keys as a JSON Web Key Set (newest first)."""
        if not self._keys:
            self.ensure()
        keys = sorted(self._keys.values(), key=lambda k: k.created_at, reverse=True)
        return {"keys": [public_jwk(k.public_key, k.kid) for k in keys]}
