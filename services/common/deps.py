"""FastAPI dependencies shared by the services: platform, database session, caller, RBAC."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from learnloop.web import ProblemError
from services.common.auth import AuthError
from services.common.platform import Platform
from services.common.principal import Principal
from services.common.rbac import Action, authorize

PRINCIPAL_STATE_KEY = "principal"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"
ID_MAX_LENGTH = 128
IdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
TextPath = Annotated[str, Path(min_length=1, max_length=256, pattern=r"^[^\x00-\x1f\x7f/]+$")]
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="Access token from POST /auth/token (or from a trusted external OIDC issuer).",
)


def get_platform(request: Request) -> Platform:
    """The process's :class:`Platform`."""
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_session(platform: PlatformDep) -> Iterator[Session]:
    """A database unit of work for one request (commit on success).

    Function-scoped: the commit runs when the endpoint returns, before the response is sent,
    so a failed commit (database gone) is answered as an error, never after a 2xx went out.
    """
    with platform.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def unauthorized(detail: str) -> ProblemError:
    """A 401 problem with the RFC 6750 challenge."""
    error = ' error="invalid_token"' if detail != "missing bearer token" else ""
    return ProblemError(
        401, detail, slug="unauthorized", headers={"WWW-Authenticate": f"Bearer{error}"}
    )


def verify_bearer(platform: Platform, token: str) -> Principal:
    """Verify a bearer token or raise a 401 problem naming why."""
    try:
        return platform.verifier.verify(token)
    except AuthError as exc:
        raise unauthorized(str(exc)) from None


def current_principal(
    request: Request,
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The authenticated caller (verified once by the gateway, or here when standalone)."""
    cached = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if isinstance(cached, Principal):
        return cached
    if credentials is None:
        raise unauthorized("missing bearer token")
    principal = verify_bearer(platform, credentials.credentials)
    request.scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def allowed(action: Action) -> Callable[[Principal], Principal]:
    """Dependency: the caller, after checking ``action`` (for actions without an owner)."""

    def check(principal: CurrentPrincipal) -> Principal:
        authorize(principal, action)
        return principal

    return check


def allowed_on_owner(action: Action, param: str) -> Callable[[Request, Principal], Principal]:
    """Dependency: the caller, after checking ``action`` on the owner named by path ``param``."""

    def check(request: Request, principal: CurrentPrincipal) -> Principal:
        authorize(principal, action, request.path_params.get(param))
        return principal

    return check
