"""Sign-in state in cookies: the access and refresh tokens (httpOnly, SameSite=Lax, Secure
over HTTPS) and a double-submit CSRF token checked on every form post."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Form, Request
from starlette.responses import Response

from services.common.auth import AuthError
from services.common.platform import Platform
from services.common.principal import Principal, Role
from webapp.api import Api, ApiError

ACCESS_COOKIE = "ll_session"
REFRESH_COOKIE = "ll_refresh"
CSRF_COOKIE = "ll_csrf"
CSRF_FIELD = "csrf_token"
PREFIX = "/app"


class LoginRequiredError(Exception):
    """No valid sign-in: the page redirects to the sign-in form."""


class RoleRequiredError(Exception):
    """Signed in, but without a role this page needs."""

    def __init__(self, roles: frozenset[Role]):
        super().__init__(", ".join(sorted(roles)))
        self.roles = roles


class CsrfError(Exception):
    """A form post without the matching CSRF token."""


@dataclass(frozen=True)
class User:
    """The signed-in user of a request."""

    token: str
    principal: Principal

    @property
    def id(self) -> str:
        return self.principal.subject

    def has(self, *roles: Role) -> bool:
        """True when the user holds any of ``roles`` (admins hold every page)."""
        return bool(self.principal.roles & {*roles, Role.ADMIN})


def platform_of(request: Request) -> Platform:
    """The gateway's platform."""
    platform: Platform = request.app.state.platform
    return platform


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_tokens(request: Request, response: Response, pair: dict[str, Any]) -> None:
    """Store a token pair from ``/auth/token`` or ``/auth/refresh`` in the cookies."""
    max_age = int(pair.get("refresh_expires_in") or pair.get("expires_in") or 900)
    for name, value in (
        (ACCESS_COOKIE, pair["access_token"]),
        (REFRESH_COOKIE, pair.get("refresh_token")),
    ):
        if value:
            response.set_cookie(
                name, value, max_age=max_age, path=PREFIX, httponly=True,
                secure=_secure(request), samesite="lax",
            )  # fmt: skip


def clear_tokens(response: Response) -> None:
    """Sign out: drop the token cookies."""
    for name in (ACCESS_COOKIE, REFRESH_COOKIE):
        response.delete_cookie(name, path=PREFIX)


def csrf_token(request: Request) -> str:
    """This browser's CSRF token (a new one is set on the response by :func:`finish`)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_new", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.csrf_new = token
    return token


def finish(request: Request, response: Response) -> Response:
    """Put what this request renewed (tokens, CSRF token) into the response's cookies."""
    pair = getattr(request.state, "refreshed", None)
    if pair:
        set_tokens(request, response, pair)
    new = getattr(request.state, "csrf_new", None)
    if new:
        response.set_cookie(
            CSRF_COOKIE, new, path=PREFIX, httponly=True, secure=_secure(request), samesite="strict"
        )
    return response


async def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Refuse a form post whose token does not match the cookie (403)."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise CsrfError


async def _verify(platform: Platform, token: str) -> Principal | None:
    try:
        return await to_thread.run_sync(platform.verifier.verify, token)
    except AuthError:
        return None


async def optional_user(request: Request) -> User | None:
    """The signed-in user, renewing an expired access token with the refresh cookie."""
    platform = platform_of(request)
    token = request.cookies.get(ACCESS_COOKIE)
    principal = await _verify(platform, token) if token else None
    if token and principal is not None:
        return User(token, principal)
    refresh = request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None
    try:
        async with Api(request) as api:
            pair = await api.post("/auth/refresh", {"refresh_token": refresh})
    except ApiError:
        return None
    principal = await _verify(platform, pair["access_token"])
    if principal is None:
        return None
    request.state.refreshed = pair
    return User(pair["access_token"], principal)


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The signed-in user, or a redirect to the sign-in page."""
    if user is None:
        raise LoginRequiredError
    return user


def require(*roles: Role) -> Any:
    """Dependency: the signed-in user holding one of ``roles``."""

    async def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.has(*roles):
            raise RoleRequiredError(frozenset(roles))
        return user

    return Depends(dependency)


CurrentUser = Annotated[User, Depends(current_user)]
MaybeUser = Annotated[User | None, Depends(optional_user)]
Csrf = Depends(check_csrf)
