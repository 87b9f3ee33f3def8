"""Issuing learnloop's tokens: RS256 access JWTs (RFC 9068 shape) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Iterable

import jwt

from services.common.keys import KeyStore


def hash_refresh_token(token: str) -> str:
    """What is stored for a refresh token (SHA-256 hex; the token itself is 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token() -> str:
    """A fresh opaque refresh token."""
    return "rt_" + secrets.token_urlsafe(32)


class AccessTokenIssuer:
    """Sign short-lived access tokens with the active key of ``keys``."""

    def __init__(self, *, keys: KeyStore, issuer: str, audience: str, ttl_s: int):
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl_s = ttl_s

    def issue(self, *, subject: str, roles: Iterable[str], session_id: str | None = None) -> str:
        """An access token for ``subject`` with ``roles``."""
        key = self.keys.active()
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl_s,
            "jti": uuid.uuid4().hex,
            "typ": "access",
            "roles": sorted(roles),
        }
        if session_id:
            claims["sid"] = session_id
        return jwt.encode(
            claims, key.private_key, algorithm="RS256", headers={"kid": key.kid, "typ": "at+jwt"}
        )
