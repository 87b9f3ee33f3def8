"""Sign in, register and sign out (tokens from the identity service, kept in httpOnly cookies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.common.principal import Role
from webapp.api import Api, ApiError
from webapp.rendering import redirect, render
from webapp.session import PREFIX, Csrf, MaybeUser, clear_tokens, platform_of, set_tokens

router = APIRouter()


def home_of(roles: frozenset[Role]) -> str:
    """Where a user lands after signing in."""
    if roles & {Role.LEARNER}:
        return f"{PREFIX}/learn"
    if roles & {Role.INSTRUCTOR, Role.ADMIN}:
        return f"{PREFIX}/teach"
    if roles & {Role.DATA_SCIENTIST}:
        return f"{PREFIX}/models"
    return f"{PREFIX}/inbox"


def _safe_next(target: str | None) -> str | None:
    """Only local pages of the app (no open redirect)."""
    if target and target.startswith(f"{PREFIX}/") and not target.startswith("//"):
        return target
    return None


def _sign_in_page(
    request: Request,
    *,
    error: str | None = None,
    email: str = "",
    status: int = 200,
    next_url: str = "",
) -> Response:
    issuers = platform_of(request).settings.auth.external_issuers
    return render(
        request, "login.html", status=status, error=error, email=email, next_url=next_url,
        issuers=[i.issuer for i in issuers],
    )  # fmt: skip


@router.get("/")
async def index(request: Request, user: MaybeUser) -> Response:
    """Home: the user's start page, or the sign-in form."""
    if user is None:
        return redirect(request, f"{PREFIX}/login")
    return redirect(request, home_of(user.principal.roles))


@router.get("/login")
async def login_form(request: Request, user: MaybeUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(request, _safe_next(next) or home_of(user.principal.roles))
    return _sign_in_page(request, next_url=_safe_next(next) or "")


@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        async with Api(request) as api:
            pair = await api.post("/auth/token", {"email": email, "password": password})
    except ApiError as exc:
        message = (
            "Too many attempts; wait a few minutes."
            if exc.status == 429
            else "E-mail or password is not right."
        )
        return _sign_in_page(request, error=message, email=email, status=400, next_url=next_url)
    principal = platform_of(request).verifier.verify(pair["access_token"])
    response = redirect(request, _safe_next(next_url) or home_of(principal.roles))
    set_tokens(request, response, pair)
    return response


@router.get("/register")
async def register_form(request: Request) -> Response:
    return render(request, "register.html", error=None, email="", name="")


@router.post("/register", dependencies=[Csrf])
async def register(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    name: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    body = {"email": email, "password": password, "full_name": name or None}
    try:
        async with Api(request) as api:
            await api.post("/auth/register", body)
            pair = await api.post("/auth/token", {"email": email, "password": password})
    except ApiError as exc:
        return render(
            request, "register.html", status=400, error=exc.detail, email=email, name=name
        )
    response = redirect(request, f"{PREFIX}/learn")
    set_tokens(request, response, pair)
    return response


@router.post("/logout", dependencies=[Csrf])
async def logout(request: Request) -> Response:
    refresh = request.cookies.get("ll_refresh")
    if refresh:
        try:
            async with Api(request) as api:
                await api.post("/auth/logout", {"refresh_token": refresh})
        except ApiError:
            pass  # already revoked or expired: signing out locally is what matters
    response = redirect(request, f"{PREFIX}/login")
    clear_tokens(response)
    return response
