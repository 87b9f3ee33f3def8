"""LTI 1.3 end to end against a platform the test runs (own keys, real HTTP): OIDC login
initiation, launch validation (every check), deep linking and AGS score passback."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKSet
from testkit.gateway_harness import Gateway
from testkit.oidc_platform import OidcPlatform

from services.catalog.lti import claims as c
from services.common.principal import Role

pytestmark = pytest.mark.integration
CLIENT_ID = "learnloop-tool"
DEPLOYMENT = "deployment-1"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@pytest.fixture(scope="module")
def lms(gateway: Gateway) -> Iterator[OidcPlatform]:
    with OidcPlatform() as platform:
        _aid, admin = gateway.make_user(Role.ADMIN)
        registered = gateway.client.post(
            "/lti/platforms",
            json={
                "issuer": platform.url,
                "client_id": CLIENT_ID,
                "deployment_ids": [DEPLOYMENT],
                "auth_login_url": f"{platform.url}/auth",
                "auth_token_url": f"{platform.url}/token",
                "key_set_url": f"{platform.url}/jwks",
            },
            headers=admin,
        )
        assert registered.status_code == 201, registered.text
        platform.tool_jwks = gateway.client.get("/lti/jwks").json()
        platform.tool_client_id = CLIENT_ID
        yield platform


@pytest.fixture(scope="module")
def item(gateway: Gateway) -> dict[str, Any]:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    course = gateway.client.post(
        "/catalog/courses", json={"title": "LTI course"}, headers=instructor
    ).json()
    created = gateway.client.post(
        "/catalog/items",
        json={
            "title": "Ratios <intro>",
            "kind": "text",
            "body": "A ratio compares two amounts.",
            "course_id": course["id"],
        },
        headers=instructor,
    )
    return dict(created.json())


def login(gateway: Gateway, lms: OidcPlatform) -> dict[str, str]:
    """Third-party initiated login; returns the authorization request's parameters."""
    tool = gateway.platform.settings.auth_issuer
    answer = gateway.client.get(
        "/lti/login",
        params={
            "iss": lms.url,
            "login_hint": "user-7",
            "target_link_uri": f"{tool}/lti/launch",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT,
            "lti_message_hint": "ctx-42",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{lms.url}/auth"
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["redirect_uri"] == f"{tool}/lti/launch"
    assert (params["response_type"], params["response_mode"], params["scope"]) == (
        "id_token",
        "form_post",
        "openid",
    )
    assert (params["login_hint"], params["lti_message_hint"], params["client_id"]) == (
        "user-7",
        "ctx-42",
        CLIENT_ID,
    )
    return params


def id_token(lms: OidcPlatform, login_nonce: str, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "iss": lms.url,
        "aud": CLIENT_ID,
        "sub": "user-7",
        "nonce": login_nonce,
        "name": "Learner Seven",
        "email": "seven@lms.example",
        c.DEPLOYMENT_ID: DEPLOYMENT,
        c.MESSAGE_TYPE: c.RESOURCE_LINK_REQUEST,
        c.VERSION: c.LTI_VERSION,
        c.RESOURCE_LINK: {"id": "link-1"},
        c.ROLES: [LEARNER],
        c.CONTEXT: {"id": "course-9"},
        c.AGS_ENDPOINT: {
            "scope": [c.AGS_SCORE_SCOPE],
            "lineitem": f"{lms.url}/lineitems/1?context=9",
        },
    }
    key = overrides.pop("_key", None)
    claims.update(overrides)
    return lms.sign({k: v for k, v in claims.items() if v is not None}, key=key)


def launch(gateway: Gateway, token: str, state: str) -> Any:
    return gateway.client.post("/lti/launch", data={"id_token": token, "state": state})


def launch_id(html: str) -> str:
    found = re.search(r"data-launch-id='([^']+)'", html)
    assert found, html
    return found.group(1)


def test_resource_link_launch_shows_the_item_and_scores_flow_back(
    gateway: Gateway, lms: OidcPlatform, item: dict[str, Any]
) -> None:
    params = login(gateway, lms)
    token = id_token(lms, params["nonce"], **{c.CUSTOM: {"item_id": item["id"]}})
    answer = launch(gateway, token, params["state"])
    assert answer.status_code == 200, answer.text
    assert "Ratios &lt;intro&gt;" in answer.text and "A ratio compares" in answer.text  # escaped
    assert f"frame-ancestors 'self' {lms.url}" in answer.headers["content-security-policy"]
    replay = launch(gateway, token, params["state"])
    assert replay.status_code == 400 and "already used" in replay.json()["detail"]

    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    identifier = launch_id(answer.text)
    scored = gateway.client.post(
        f"/lti/launches/{identifier}/scores",
        json={"score_given": 8, "score_maximum": 10},
        headers=instructor,
    )
    assert scored.status_code == 201, scored.text
    (score,) = lms.scores
    assert score["path"] == "/lineitems/1/scores"
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("user-7", 8, 10)
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"
    (request,) = lms.token_requests
    assert request["scope"] == c.AGS_SCORE_SCOPE
    assert (
        request["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    )
    _uid, learner = gateway.make_user()
    forbidden = gateway.client.post(
        f"/lti/launches/{identifier}/scores",
        json={"score_given": 10, "score_maximum": 10},
        headers=learner,
    )
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"nonce": "not-the-nonce"}, "nonce"),
        ({"aud": "another-tool"}, "audience"),
        ({"aud": [CLIENT_ID, "other"], "azp": "other"}, "azp"),
        ({c.DEPLOYMENT_ID: "unknown-deployment"}, "deployment_id"),
        ({c.VERSION: "1.1"}, "version"),
        ({c.MESSAGE_TYPE: "LtiSubmissionReviewRequest"}, "message type"),
        ({c.RESOURCE_LINK: None}, "resource_link.id"),
        ({"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, "expired"),
        ({"_key": rsa.generate_private_key(public_exponent=65537, key_size=2048)}, "Signature"),
    ],
)
def test_invalid_launches_are_refused(
    gateway: Gateway, lms: OidcPlatform, overrides: dict[str, Any], reason: str
) -> None:
    params = login(gateway, lms)
    answer = launch(gateway, id_token(lms, params["nonce"], **overrides), params["state"])
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert (
        problem["type"].endswith("/lti-launch-invalid")
        and reason.lower() in problem["detail"].lower()
    )


def test_unknown_state_and_unregistered_issuers(gateway: Gateway, lms: OidcPlatform) -> None:
    params = login(gateway, lms)
    assert launch(gateway, id_token(lms, params["nonce"]), "forged-state").status_code == 400
    unknown = gateway.client.get(
        "/lti/login",
        params={
            "iss": "https://rogue.example",
            "login_hint": "x",
            "target_link_uri": "http://127.0.0.1:8000/lti/launch",
        },
    )
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"] == "iss"
    elsewhere = gateway.client.get(
        "/lti/login",
        params={
            "iss": lms.url,
            "login_hint": "x",
            "target_link_uri": "https://evil.example/lti/launch",
        },
    )
    assert (
        elsewhere.status_code == 400 and elsewhere.json()["errors"][0]["field"] == "target_link_uri"
    )


def test_deep_linking_returns_a_signed_content_selection(
    gateway: Gateway, lms: OidcPlatform, item: dict[str, Any]
) -> None:
    params = login(gateway, lms)
    settings = {"deep_link_return_url": f"{lms.url}/deep-link-return", "data": "opaque-42"}
    token = id_token(
        lms,
        params["nonce"],
        **{
            c.MESSAGE_TYPE: c.DEEP_LINKING_REQUEST,
            c.RESOURCE_LINK: None,
            c.ROLES: [INSTRUCTOR],
            c.DEEP_LINKING_SETTINGS: settings,
        },
    )
    picker = launch(gateway, token, params["state"])
    assert picker.status_code == 200 and "type='checkbox'" in picker.text
    identifier = launch_id(picker.text)
    answer = gateway.client.post(f"/lti/deep-linking/{identifier}", data={"item_id": [item["id"]]})
    assert answer.status_code == 200, answer.text
    assert f"action='{lms.url}/deep-link-return'" in answer.text
    response_jwt = re.search(r"name='JWT' value='([^']+)'", answer.text)
    assert response_jwt
    keys = PyJWKSet.from_dict(gateway.client.get("/lti/jwks").json())
    kid = jwt.get_unverified_header(response_jwt.group(1))["kid"]
    claims = jwt.decode(
        response_jwt.group(1),
        keys[kid].key,
        algorithms=["RS256"],
        audience=lms.url,
        issuer=CLIENT_ID,
    )
    assert claims[c.MESSAGE_TYPE] == c.DEEP_LINKING_RESPONSE
    assert claims[c.DEPLOYMENT_ID] == DEPLOYMENT and claims[c.DL_DATA] == "opaque-42"
    (content,) = claims[c.CONTENT_ITEMS]
    assert content["type"] == "ltiResourceLink" and content["custom"] == {"item_id": item["id"]}
    assert content["url"].endswith("/lti/launch")
    missing = gateway.client.post(f"/lti/deep-linking/{identifier}", data={"item_id": ["nope"]})
    assert missing.status_code == 404


def test_learners_cannot_deep_link(
    gateway: Gateway, lms: OidcPlatform, item: dict[str, Any]
) -> None:
    params = login(gateway, lms)
    token = id_token(
        lms,
        params["nonce"],
        **{
            c.MESSAGE_TYPE: c.DEEP_LINKING_REQUEST,
            c.RESOURCE_LINK: None,
            c.DEEP_LINKING_SETTINGS: {"deep_link_return_url": f"{lms.url}/r"},
        },
    )
    identifier = launch_id(launch(gateway, token, params["state"]).text)
    answer = gateway.client.post(f"/lti/deep-linking/{identifier}", data={"item_id": [item["id"]]})
    assert answer.status_code == 401


def test_launch_stores_no_names_or_emails(gateway: Gateway, lms: OidcPlatform) -> None:
    params = login(gateway, lms)
    assert launch(gateway, id_token(lms, params["nonce"]), params["state"]).status_code == 200
    with gateway.platform.db.engine.connect() as connection:
        dump = str(
            [tuple(r) for r in connection.exec_driver_sql("SELECT * FROM ccs_lti_launches").all()]
        )
    assert "seven@lms.example" not in dump and "Learner Seven" not in dump
    assert str(uuid.UUID(int=0)) not in dump
