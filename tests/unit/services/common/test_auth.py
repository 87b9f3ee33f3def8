"""Token verification: the JWT attacks of the issue are each rejected; federation works."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from testkit.oidc_platform import OidcPlatform

from learnloop.settings import ExternalIssuerSettings
from services.common.auth import AuthError, TokenVerifier, federated_user_id
from services.common.keys import KeyStore
from services.common.principal import Role
from services.users.tokens import AccessTokenIssuer

ISSUER = "https://learnloop.test"
AUDIENCE = "learnloop-api"


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "keys", rotation_s=86_400, grace_s=3600)
    store.ensure()
    return store


@pytest.fixture
def issuer(keys: KeyStore) -> AccessTokenIssuer:
    return AccessTokenIssuer(keys=keys, issuer=ISSUER, audience=AUDIENCE, ttl_s=600)


@pytest.fixture
def verifier(keys: KeyStore) -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=AUDIENCE, keys=keys)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, object], payload: dict[str, object], signature: bytes = b"") -> str:
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(payload).encode())
    return f"{head}.{body}.{_b64(signature)}"


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "exp": now + 600,
        "typ": "access",
        "roles": ["admin"],
    }
    claims.update(overrides)
    return claims


def test_valid_token_gives_the_principal(
    verifier: TokenVerifier, issuer: AccessTokenIssuer
) -> None:
    principal = verifier.verify(issuer.issue(subject="user-1", roles=["learner", "instructor"]))
    assert principal.subject == "user-1"
    assert principal.roles == {Role.LEARNER, Role.INSTRUCTOR}
    assert not principal.federated


def test_alg_none_is_rejected(verifier: TokenVerifier, keys: KeyStore) -> None:
    token = _forge({"alg": "none", "typ": "JWT", "kid": keys.active().kid}, _claims())
    with pytest.raises(AuthError, match="algorithm not allowed"):
        verifier.verify(token)


def test_hs256_signed_with_the_public_key_is_rejected(
    verifier: TokenVerifier, keys: KeyStore
) -> None:
    key = keys.active()
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    unsigned = _forge(header, _claims()).rsplit(".", 1)[0]
    signature = hmac.new(key.public_pem(), unsigned.encode(), hashlib.sha256).digest()
    token = f"{unsigned}.{_b64(signature)}"
    with pytest.raises(AuthError, match="algorithm not allowed"):
        verifier.verify(token)


def test_expired_token_is_rejected(verifier: TokenVerifier, keys: KeyStore) -> None:
    key = keys.active()
    old = int(time.time()) - 3600
    token = jwt.encode(
        _claims(iat=old, exp=old + 60), key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )
    with pytest.raises(AuthError, match="expired"):
        verifier.verify(token)


def test_wrong_audience_is_rejected(verifier: TokenVerifier, keys: KeyStore) -> None:
    key = keys.active()
    token = jwt.encode(
        _claims(aud="another-api"), key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )
    with pytest.raises(AuthError, match="audience"):
        verifier.verify(token)


def test_wrong_issuer_is_rejected(verifier: TokenVerifier, keys: KeyStore) -> None:
    key = keys.active()
    token = jwt.encode(
        _claims(iss="https://evil.example"),
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    with pytest.raises(AuthError, match="issuer not trusted"):
        verifier.verify(token)


def test_unknown_kid_is_rejected(verifier: TokenVerifier) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        _claims(), other, algorithm="RS256", headers={"kid": "20200101000000-deadbeef0000"}
    )
    with pytest.raises(AuthError, match="unknown key id"):
        verifier.verify(token)


def test_known_kid_with_a_foreign_key_fails_the_signature(
    verifier: TokenVerifier, keys: KeyStore
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(_claims(), other, algorithm="RS256", headers={"kid": keys.active().kid})
    with pytest.raises(AuthError, match="signature"):
        verifier.verify(token)


def test_tampered_payload_is_rejected(verifier: TokenVerifier, issuer: AccessTokenIssuer) -> None:
    token = issuer.issue(subject="learner-1", roles=["learner"])
    head, _body, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["roles"] = ["admin"]
    forged = f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"
    with pytest.raises(AuthError, match="signature"):
        verifier.verify(forged)


@pytest.mark.parametrize("missing", ["exp", "sub", "aud", "iat"])
def test_missing_required_claims_are_rejected(
    verifier: TokenVerifier, keys: KeyStore, missing: str
) -> None:
    key = keys.active()
    claims = _claims()
    del claims[missing]
    token = jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
    with pytest.raises(AuthError):
        verifier.verify(token)


def test_token_without_kid_and_garbage_are_rejected(
    verifier: TokenVerifier, keys: KeyStore
) -> None:
    token = jwt.encode(_claims(), keys.active().private_key, algorithm="RS256")
    with pytest.raises(AuthError, match="no key id"):
        verifier.verify(token)
    with pytest.raises(AuthError, match="malformed"):
        verifier.verify("not-a-token")


def test_non_access_tokens_are_rejected(verifier: TokenVerifier, keys: KeyStore) -> None:
    key = keys.active()
    token = jwt.encode(
        _claims(typ="refresh"), key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )
    with pytest.raises(AuthError, match="not an access token"):
        verifier.verify(token)


def test_unknown_roles_are_ignored(verifier: TokenVerifier, keys: KeyStore) -> None:
    key = keys.active()
    token = jwt.encode(
        _claims(roles=["superuser", "learner"]),
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    assert verifier.verify(token).roles == {Role.LEARNER}


# -- federation: a second issuer on a real loopback HTTP server ---------------------------------


@pytest.fixture
def external() -> OidcPlatform:
    with OidcPlatform() as platform:
        yield platform  # type: ignore[misc]


def _federated_verifier(keys: KeyStore, platform: OidcPlatform) -> TokenVerifier:
    return TokenVerifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        keys=keys,
        external=[
            ExternalIssuerSettings(
                issuer=platform.url,
                audience="corp-client",
                roles_claim="groups",
                role_map={"teachers": "instructor", "analysts": "data_scientist"},
            )
        ],
        cache_s=300,
    )


def test_external_issuer_tokens_are_accepted_through_discovery(
    keys: KeyStore, external: OidcPlatform
) -> None:
    verifier = _federated_verifier(keys, external)
    token = external.sign(
        {"iss": external.url, "aud": "corp-client", "sub": "alice", "groups": ["teachers"]}
    )
    principal = verifier.verify(token)
    assert principal.federated
    assert principal.external_subject == "alice"
    assert principal.subject == federated_user_id(external.url, "alice")
    assert principal.roles == {Role.INSTRUCTOR}
    assert "GET /.well-known/openid-configuration" in external.requests
    assert "GET /jwks" in external.requests
    # without a mapped group the default role applies
    plain = external.sign({"iss": external.url, "aud": "corp-client", "sub": "bob"})
    assert verifier.verify(plain).roles == {Role.LEARNER}


def test_external_tokens_are_checked_like_local_ones(
    keys: KeyStore, external: OidcPlatform
) -> None:
    verifier = _federated_verifier(keys, external)
    with pytest.raises(AuthError, match="audience"):
        verifier.verify(external.sign({"iss": external.url, "aud": AUDIENCE, "sub": "alice"}))
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthError, match="signature"):
        verifier.verify(
            external.sign({"iss": external.url, "aud": "corp-client", "sub": "a"}, key=impostor)
        )
    with pytest.raises(AuthError, match="expired"):
        old = int(time.time()) - 7200
        verifier.verify(
            external.sign(
                {"iss": external.url, "aud": "corp-client", "sub": "a", "iat": old, "exp": old + 60}
            )
        )


def test_external_key_rotation_refetches_the_jwks(keys: KeyStore, external: OidcPlatform) -> None:
    verifier = _federated_verifier(keys, external)
    verifier.verify(external.sign({"iss": external.url, "aud": "corp-client", "sub": "alice"}))
    external.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    external.kid = "platform-key-2"
    verifier.external[external.url]._fetched_at -= 11  # past the refetch rate limit
    token = external.sign({"iss": external.url, "aud": "corp-client", "sub": "alice"})
    assert verifier.verify(token).external_subject == "alice"
    assert external.requests.count("GET /jwks") == 2


def test_unreachable_external_issuer_fails_closed(keys: KeyStore) -> None:
    config = ExternalIssuerSettings(issuer="http://127.0.0.1:9", audience="corp-client")
    verifier = TokenVerifier(
        issuer=ISSUER, audience=AUDIENCE, keys=keys, external=[config], timeout_s=0.5
    )
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        {
            "iss": config.issuer,
            "aud": "corp-client",
            "sub": "x",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        },
        other,
        algorithm="RS256",
        headers={"kid": "k"},
    )
    with pytest.raises(AuthError, match="cannot read the keys"):
        verifier.verify(token)


def test_services_apart_from_the_issuer_verify_with_its_jwks(tmp_path: Path) -> None:
    """A service deployed without the signing keys verifies learnloop tokens via discovery."""
    with OidcPlatform() as identity:  # stands in for the identity service's /.well-known
        empty = KeyStore(tmp_path / "no-keys", rotation_s=3600, grace_s=60)
        verifier = TokenVerifier(
            issuer=identity.url, audience=AUDIENCE, keys=empty, local_jwks=True
        )
        token = identity.sign(
            {
                "iss": identity.url,
                "aud": AUDIENCE,
                "sub": "u-1",
                "typ": "access",
                "roles": ["instructor"],
            }
        )
        principal = verifier.verify(token)
        assert (principal.subject, principal.roles, principal.federated) == (
            "u-1",
            {Role.INSTRUCTOR},
            False,
        )
        with pytest.raises(AuthError, match="not an access token"):
            verifier.verify(identity.sign({"iss": identity.url, "aud": AUDIENCE, "sub": "u-1"}))
        assert not (tmp_path / "no-keys").exists()
