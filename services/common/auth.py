"""Access-token verification: learnloop's own RS256 tokens and trusted external OIDC issuers.

Only asymmetric algorithms are accepted (never ``none`` or HMAC, so a public key can not be
used as an HMAC secret), ``kid`` must name a published key, and ``iss``, ``aud``, ``exp``,
``iat`` and ``sub`` are required and checked. External issuers are found through their OIDC
discovery document; their JWKS is cached and refetched (rate-limited) when a new kid appears.
A federated user gets a stable learnloop id derived from (issuer, sub).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import jwt
from jwt import PyJWK

from learnloop.settings import ExternalIssuerSettings, Settings
from services.common.keys import KeyStore
from services.common.principal import Principal, Role, parse_roles

LOCAL_ALGORITHMS = ("RS256",)
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
FEDERATION_NAMESPACE = uuid.UUID("4d1c9a8e-33a1-4bd6-9d0f-6a3b1f1e7c10")
LEEWAY_S = 30


class AuthError(Exception):
    """The token is missing, malformed, untrusted or expired; the message says which."""


def federated_user_id(issuer: str, subject: str) -> str:
    """The learnloop user id of ``subject`` at an external ``issuer`` (stable, opaque)."""
    return str(uuid.uuid5(FEDERATION_NAMESPACE, f"{issuer}#{subject}"))


class RemoteJwks:
    """The JWKS of an external issuer, located through its discovery document and cached."""

    def __init__(self, config: ExternalIssuerSettings, *, cache_s: float, timeout_s: float):
        self.config = config
        self.cache_s = cache_s
        self.timeout_s = timeout_s
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    @property
    def discovery_url(self) -> str:
        """Where the discovery document is read."""
        return self.config.discovery_url or (
            self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
        )

    def _fetch(self) -> None:
        with httpx.Client(timeout=self.timeout_s) as client:
            discovery = client.get(self.discovery_url)
            discovery.raise_for_status()
            document = discovery.json()
            if document.get("issuer") != self.config.issuer:
                raise AuthError(f"discovery document of {self.config.issuer} names another issuer")
            jwks = client.get(document["jwks_uri"])
            jwks.raise_for_status()
        keys = {}
        for data in jwks.json().get("keys", []):
            if data.get("use", "sig") != "sig" or "kid" not in data:
                continue
            try:
                keys[data["kid"]] = PyJWK(data)
            except jwt.PyJWKError:
                continue
        self._keys = keys
        self._fetched_at = time.monotonic()

    def key(self, kid: str) -> PyJWK:
        """The key ``kid``; refetches when stale or unknown (at most every 10 s)."""
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if (kid not in self._keys and age > 10) or age > self.cache_s:
                try:
                    self._fetch()
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    if kid not in self._keys:
                        raise AuthError(f"cannot read the keys of {self.config.issuer}") from exc
        if kid not in self._keys:
            raise AuthError(f"unknown key id {kid!r}")
        return self._keys[kid]


class TokenVerifier:
    """Verify bearer tokens from the local issuer and the configured external issuers."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: KeyStore,
        external: list[ExternalIssuerSettings] | None = None,
        cache_s: float = 300,
        timeout_s: float = 5.0,
        local_jwks: bool = False,
    ):
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.local_remote = (
            RemoteJwks(
                ExternalIssuerSettings(issuer=issuer, audience=audience),
                cache_s=cache_s,
                timeout_s=timeout_s,
            )
            if local_jwks
            else None
        )
        self.external = {
            item.issuer: RemoteJwks(item, cache_s=cache_s, timeout_s=timeout_s)
            for item in external or []
        }

    def _decode(
        self, token: str, key: Any, algorithms: list[str], issuer: str, audience: str
    ) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY_S,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError("token audience not accepted") from None
        except jwt.InvalidIssuerError:
            raise AuthError("token issuer not trusted") from None
        except jwt.InvalidAlgorithmError:
            raise AuthError("token algorithm not allowed") from None
        except jwt.InvalidSignatureError:
            raise AuthError("token signature invalid") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"token lacks the {exc.claim!r} claim") from None
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        return claims

    def verify(self, token: str) -> Principal:
        """The principal of a valid access token; :class:`AuthError` otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise AuthError("malformed token") from None
        algorithm = header.get("alg")
        kid = header.get("kid")
        issuer = unverified.get("iss")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token has no key id")
        if issuer == self.issuer:
            if algorithm not in LOCAL_ALGORITHMS:
                raise AuthError("token algorithm not allowed")
            claims = self._decode(
                token, self._local_key(kid), list(LOCAL_ALGORITHMS), self.issuer, self.audience
            )
            return self._local_principal(claims)
        remote = self.external.get(issuer) if isinstance(issuer, str) else None
        if remote is None:
            raise AuthError("token issuer not trusted")
        if algorithm not in remote.config.algorithms:
            raise AuthError("token algorithm not allowed")
        claims = self._decode(
            token,
            remote.key(kid),
            list(remote.config.algorithms),
            remote.config.issuer,
            remote.config.audience,
        )
        return self._federated_principal(claims, remote.config)

    def _local_key(self, kid: str) -> Any:
        """Public key ``kid`` of learnloop's issuer: from the key dir, or its published JWKS."""
        if self.local_remote is not None:
            return self.local_remote.key(kid)
        signing_key = self.keys.get(kid)
        if signing_key is None:
            raise AuthError(f"unknown key id {kid!r}")
        return signing_key.public_key

    @staticmethod
    def _local_principal(claims: Mapping[str, Any]) -> Principal:
        if claims.get("typ") != "access":
            raise AuthError("not an access token")
        return Principal(
            subject=str(claims["sub"]),
            roles=parse_roles(claims.get("roles", [])),
            issuer=str(claims["iss"]),
            token_id=claims.get("jti"),
            claims=dict(claims),
        )

    @staticmethod
    def _federated_principal(
        claims: Mapping[str, Any], config: ExternalIssuerSettings
    ) -> Principal:
        raw = claims.get(config.roles_claim, [])
        groups = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
        mapped = {config.role_map[g] for g in groups if isinstance(g, str) and g in config.role_map}
        roles = parse_roles(sorted(mapped)) or frozenset({Role(config.default_role)})
        return Principal(
            subject=federated_user_id(config.issuer, str(claims["sub"])),
            roles=roles,
            issuer=config.issuer,
            token_id=claims.get("jti"),
            external_subject=str(claims["sub"]),
            claims=dict(claims),
        )


def identity_keys(settings: Settings) -> KeyStore:
    """The identity issuer's signing keys under ``<key_dir>/identity`` (see :class:`KeyStore`)."""
    auth = settings.auth
    return KeyStore(
        settings.key_dir / "identity",
        rotation_s=auth.key_rotation_days * 86_400,
        grace_s=auth.access_token_ttl_s * 2 + 3600,
        managed=auth.manage_keys,
    )


def token_verifier(settings: Settings, keys: KeyStore | None = None) -> TokenVerifier:
    """The verifier of bearer tokens under ``settings`` (``keys``: default
    :func:`identity_keys`; with ``auth.verify_with_jwks`` the issuer's published JWKS)."""
    auth = settings.auth
    return TokenVerifier(
        issuer=settings.auth_issuer,
        audience=auth.audience,
        keys=keys if keys is not None else identity_keys(settings),
        external=auth.external_issuers,
        cache_s=auth.jwks_cache_s,
        timeout_s=auth.http_timeout_s,
        local_jwks=auth.verify_with_jwks,
    )
