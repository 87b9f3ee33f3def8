"""UMS over HTTP: registration, login, rotating refresh tokens, profiles, roles, OIDC, keys."""

from __future__ import annotations

import time

import jwt
import pytest
from testkit.gateway_harness import PASSWORD, Gateway

from services.common.principal import Role

pytestmark = pytest.mark.integration


def register(
    gateway: Gateway, email: str, password: str = PASSWORD, **extra: object
) -> dict[str, object]:
    answer = gateway.client.post(
        "/auth/register", json={"email": email, "password": password, **extra}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_register_login_me(gateway: Gateway) -> None:
    user = register(gateway, "Grace.Hopper@Example.com", full_name="Grace Hopper", locale="en-US")
    assert user["email"] == "grace.hopper@example.com" and user["roles"] == ["learner"]
    assert "password" not in str(user) and "hash" not in str(user)
    answer = gateway.client.post(
        "/auth/token", json={"email": "grace.hopper@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["sub"] == user["id"] and claims["roles"] == ["learner"]
    assert claims["exp"] - claims["iat"] == gateway.platform.settings.auth.access_token_ttl_s
    me = gateway.client.get(
        "/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["full_name"] == "Grace Hopper"


def test_duplicate_email_and_bad_input_name_the_field(gateway: Gateway) -> None:
    register(gateway, "dup@example.com")
    again = gateway.client.post(
        "/auth/register", json={"email": "DUP@example.com", "password": PASSWORD}
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "email"
    short = gateway.client.post(
        "/auth/register", json={"email": "x@example.com", "password": "short"}
    )
    assert short.status_code == 422
    assert short.headers["content-type"] == "application/problem+json"
    assert short.json()["errors"][0]["field"] == "password"
    bad_email = gateway.client.post(
        "/auth/register", json={"email": "not-an-email", "password": PASSWORD}
    )
    assert bad_email.json()["errors"][0]["field"] == "email"


def test_wrong_password_and_unknown_user_look_the_same(gateway: Gateway) -> None:
    register(gateway, "someone@example.com")
    wrong = gateway.client.post(
        "/auth/token", json={"email": "someone@example.com", "password": "x" * 12}
    )
    unknown = gateway.client.post(
        "/auth/token", json={"email": "nobody@example.com", "password": "x" * 12}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "incorrect email or password"


def test_refresh_rotation_and_reuse_revokes_the_family(gateway: Gateway) -> None:
    register(gateway, "rotate@example.com")
    first = gateway.client.post(
        "/auth/token", json={"email": "rotate@example.com", "password": PASSWORD}
    ).json()
    second = gateway.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_tokens = second.json()
    assert second_tokens["refresh_token"] != first["refresh_token"]
    reuse = gateway.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and "revoked" in reuse.json()["detail"]
    # the stolen token's family is dead: the legitimate newer token no longer works either
    after = gateway.client.post(
        "/auth/refresh", json={"refresh_token": second_tokens["refresh_token"]}
    )
    assert after.status_code == 401
    # a fresh login starts a new family
    fresh = gateway.client.post(
        "/auth/token", json={"email": "rotate@example.com", "password": PASSWORD}
    ).json()
    assert (
        gateway.client.post(
            "/auth/refresh", json={"refresh_token": fresh["refresh_token"]}
        ).status_code
        == 200
    )


def test_logout_revokes_the_refresh_token(gateway: Gateway) -> None:
    register(gateway, "logout@example.com")
    tokens = gateway.client.post(
        "/auth/token", json={"email": "logout@example.com", "password": PASSWORD}
    ).json()
    assert (
        gateway.client.post(
            "/auth/logout", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 204
    )
    assert (
        gateway.client.post(
            "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        ).status_code
        == 401
    )


def test_profile_update_and_password_change(gateway: Gateway) -> None:
    user_id, headers = gateway.make_user(name="Old Name")
    renamed = gateway.client.patch("/users/me", json={"full_name": "New Name"}, headers=headers)
    assert renamed.json()["full_name"] == "New Name"
    wrong = gateway.client.patch(
        "/users/me",
        json={"password": "another password!", "current_password": "nope"},
        headers=headers,
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    ok = gateway.client.patch(
        "/users/me",
        json={"password": "another password!", "current_password": PASSWORD},
        headers=headers,
    )
    assert ok.status_code == 200
    email = gateway.users[user_id]
    assert (
        gateway.client.post("/auth/token", json={"email": email, "password": PASSWORD}).status_code
        == 401
    )
    assert gateway.login(email, "another password!")


def test_admin_sets_roles_and_audits_it(gateway: Gateway) -> None:
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    user_id, learner = gateway.make_user()
    denied = gateway.client.put(
        f"/users/{user_id}/roles", json={"roles": ["admin"]}, headers=learner
    )
    assert denied.status_code == 403
    answer = gateway.client.put(
        f"/users/{user_id}/roles", json={"roles": ["instructor"]}, headers=admin
    )
    assert answer.json()["roles"] == ["instructor"]
    bad = gateway.client.put(f"/users/{user_id}/roles", json={"roles": ["root"]}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("roles")
    audit = gateway.client.get(
        "/audit", params={"subject_id": user_id, "action": "user.roles_changed"}, headers=admin
    )
    (entry,) = audit.json()["data"]
    assert entry["detail"]["after"] == ["instructor"]
    assert user_id not in str(audit.json())  # people appear as pseudonyms only


def test_failed_logins_are_throttled(make_gateway: object) -> None:
    throttled = make_gateway(rate_limit={"login_failures_per_15min": 3})  # type: ignore[operator]
    register(throttled, "brute@example.com")
    for _ in range(3):
        answer = throttled.client.post(
            "/auth/token", json={"email": "brute@example.com", "password": "x" * 12}
        )
        assert answer.status_code == 401
    blocked = throttled.client.post(
        "/auth/token", json={"email": "brute@example.com", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


def test_rotation_is_refused_when_the_keys_are_provided(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With auth.manage_keys false (keys mounted from a secret) the API cannot rotate them."""
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    before = gateway.client.get("/.well-known/jwks.json").json()["keys"]
    monkeypatch.setattr(gateway.platform.keys, "managed", False)
    refused = gateway.client.post("/auth/keys/rotate", headers=admin)
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "auth.manage_keys is false" in refused.json()["detail"]
    assert gateway.client.get("/.well-known/jwks.json").json()["keys"] == before


def test_discovery_jwks_and_key_rotation(gateway: Gateway) -> None:
    issuer = gateway.platform.settings.auth_issuer
    discovery = gateway.client.get("/.well-known/openid-configuration").json()
    assert discovery["issuer"] == issuer
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    before = gateway.client.get("/.well-known/jwks.json").json()["keys"]
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    old_token = admin["Authorization"]
    time.sleep(1.01)
    rotated = gateway.client.post("/auth/keys/rotate", headers=admin)
    assert rotated.status_code == 200
    after = rotated.json()["keys"]
    assert len(after) == len(before) + 1 and after[1]["kid"] == before[0]["kid"]
    # tokens signed by the old key still verify; new ones carry the new kid
    assert gateway.client.get("/users/me", headers={"Authorization": old_token}).status_code == 200
    _uid, fresh = gateway.make_user()
    header = jwt.get_unverified_header(fresh["Authorization"].split()[1])
    assert header["kid"] == after[0]["kid"] and header["typ"] == "at+jwt"


def test_userinfo(gateway: Gateway) -> None:
    user_id, headers = gateway.make_user(Role.INSTRUCTOR, name="Ida")
    info = gateway.client.get("/auth/userinfo", headers=headers).json()
    assert info == {
        "sub": user_id,
        "email": gateway.users[user_id],
        "name": "Ida",
        "roles": ["instructor"],
    }


def test_federated_users_through_the_gateway(make_gateway: object) -> None:
    """Tokens of a second, external OIDC issuer (started here) are accepted; the user is
    provisioned just in time with the roles its groups map to."""
    from testkit.oidc_platform import OidcPlatform

    with OidcPlatform() as corporate:
        federated = make_gateway(  # type: ignore[operator]
            auth={
                "external_issuers": [
                    {
                        "issuer": corporate.url,
                        "audience": "learnloop-sso",
                        "roles_claim": "groups",
                        "role_map": {"faculty": "instructor"},
                    }
                ]
            }
        )
        token = corporate.sign(
            {"iss": corporate.url, "aud": "learnloop-sso", "sub": "emp-42", "groups": ["faculty"]}
        )
        headers = {"Authorization": f"Bearer {token}"}
        me = federated.client.get("/users/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["federated"] is True and me.json()["roles"] == ["instructor"]
        course = federated.client.post(
            "/catalog/courses", json={"title": "SSO course"}, headers=headers
        )
        assert course.status_code == 201  # the mapped role is enforced like a local one
        wrong_audience = corporate.sign(
            {"iss": corporate.url, "aud": "someone-else", "sub": "emp-42"}
        )
        denied = federated.client.get(
            "/users/me", headers={"Authorization": f"Bearer {wrong_audience}"}
        )
        assert denied.status_code == 401 and "audience" in denied.json()["detail"]
