"""Sign in with a trusted external OIDC issuer: authorization code flow with PKCE (public
client; the issuer's ``audience`` setting is the client id). The issuer's ID token is accepted
by the gateway like any token of that issuer."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

import httpx
from anyio import to_thread
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from learnloop.settings import ExternalIssuerSettings
from services.common.auth import AuthError
from webapp.rendering import redirect, render
from webapp.session import PREFIX, platform_of, set_tokens

router = APIRouter()
STATE_COOKIE = "ll_sso"


def _issuer(request: Request, index: int) -> ExternalIssuerSettings | None:
    issuers = platform_of(request).settings.auth.external_issuers
    return issuers[index] if 0 <= index < len(issuers) else None


async def _discover(issuer: ExternalIssuerSettings) -> dict[str, str]:
    url = issuer.discovery_url or f"{issuer.issuer.rstrip('/')}/.well-known/openid-configuration"
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.get(url)
        answer.raise_for_status()
        return dict(answer.json())


def _callback_url(request: Request) -> str:
    return str(request.url_for("sso_callback"))


def _failed(request: Request, message: str) -> Response:
    return render(request, "error.html", status=400, title="Sign-in failed", needed="",
                  message=message)  # fmt: skip


@router.get("/sso/{index}")
async def sso_start(request: Request, index: int) -> Response:
    issuer = _issuer(request, index)
    if issuer is None:
        return _failed(request, "Unknown sign-in provider.")
    try:
        config = await _discover(issuer)
    except httpx.HTTPError:
        return _failed(request, f"{issuer.issuer} cannot be reached right now.")
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    query = urlencode({
        "response_type": "code", "client_id": issuer.audience, "scope": "openid email",
        "redirect_uri": _callback_url(request), "state": state,
        "code_challenge": challenge.decode(), "code_challenge_method": "S256",
    })  # fmt: skip
    response = RedirectResponse(f"{config['authorization_endpoint']}?{query}", status_code=303)
    response.set_cookie(
        STATE_COOKIE, f"{index}.{state}.{verifier}", max_age=600, path=PREFIX, httponly=True,
        secure=request.url.scheme == "https", samesite="lax",
    )  # fmt: skip
    return response


@router.get("/sso-callback", name="sso_callback")
async def sso_callback(request: Request, code: str = "", state: str = "") -> Response:
    index, _, rest = request.cookies.get(STATE_COOKIE, "").partition(".")
    expected, _, verifier = rest.partition(".")
    issuer = _issuer(request, int(index)) if index.isdigit() else None
    if issuer is None or not code or not secrets.compare_digest(expected, state):
        return _failed(request, "The sign-in answer did not match this browser; try again.")
    try:
        config = await _discover(issuer)
        async with httpx.AsyncClient(timeout=5) as client:
            answer = await client.post(config["token_endpoint"], data={
                "grant_type": "authorization_code", "code": code, "client_id": issuer.audience,
                "redirect_uri": _callback_url(request), "code_verifier": verifier,
            })  # fmt: skip
        answer.raise_for_status()
        id_token = str(answer.json()["id_token"])
        principal = await to_thread.run_sync(platform_of(request).verifier.verify, id_token)
    except (httpx.HTTPError, KeyError, ValueError, AuthError) as exc:
        return _failed(request, f"{issuer.issuer} did not sign you in ({exc}).")
    from webapp.pages.auth import home_of

    response = redirect(request, home_of(principal.roles))
    set_tokens(request, response, {"access_token": id_token, "expires_in": 3600})
    response.delete_cookie(STATE_COOKIE, path=PREFIX)
    return response
