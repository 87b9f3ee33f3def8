"""UMS auth endpoints: register, token, refresh, logout, userinfo, OIDC discovery, JWKS."""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from learnloop.log import request_id_var
from learnloop.web import problem_responses
from services.common.deps import CurrentPrincipal, PlatformDep, SessionDep, allowed
from services.common.errors import ConflictError, UnauthenticatedError
from services.common.keys import KeysNotManagedError
from services.common.principal import Principal
from services.common.rbac import Action
from services.users import repository, service
from services.users.deps import IssuerDep, PasswordsDep, ThrottleDep
from services.users.schemas import (
    Jwks,
    LoginRequest,
    OpenIDConfiguration,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserInfo,
    UserPublic,
)

logger = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])
oidc_router = APIRouter(tags=["oidc"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _login_key(email: str, request: Request) -> str:
    client = request.client.host if request.client else "?"
    return hashlib.sha256(f"{email.lower()}|{client}".encode()).hexdigest()


@router.post(
    "/auth/register",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409),
    summary="Create a learner account",
)
def register(
    data: UserCreate, session: SessionDep, platform: PlatformDep, passwords: PasswordsDep
) -> UserPublic:
    user = service.register_user(session, data=data, passwords=passwords)
    logger.info("registered user %s", user.id)
    repository.add_audit_entry(
        session,
        action="user.registered",
        actor=platform.pseudonym(user.id),
        subject=platform.pseudonym(user.id),
        request_id=request_id_var.get(),
    )
    return service.to_public(user)


@router.post(
    "/auth/token",
    response_model=TokenPair,
    responses=problem_responses(401, 429),
    summary="Log in with e-mail and password",
)
def login(
    data: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    platform: PlatformDep,
    issuer: IssuerDep,
    throttle: ThrottleDep,
    passwords: PasswordsDep,
) -> TokenPair:
    key = _login_key(data.email, request)
    throttle.check(key)
    try:
        user = service.authenticate(
            session, email=data.email, password=data.password, passwords=passwords
        )
    except UnauthenticatedError:
        throttle.fail(key)
        logger.warning("failed login for email=%s", data.email)
        raise
    throttle.clear(key)
    response.headers.update(NO_STORE)
    pair = service.issue_tokens(
        session, user=user, issuer=issuer, refresh_ttl_s=platform.settings.auth.refresh_token_ttl_s
    )
    repository.add_audit_entry(
        session,
        action="user.login",
        actor=platform.pseudonym(user.id),
        subject=platform.pseudonym(user.id),
        request_id=request_id_var.get(),
    )
    return pair


@router.post(
    "/auth/refresh",
    response_model=TokenPair,
    responses=problem_responses(401),
    summary="Rotate a refresh token (reuse of a rotated token revokes the whole session)",
)
def refresh(
    data: RefreshRequest,
    response: Response,
    session: SessionDep,
    platform: PlatformDep,
    issuer: IssuerDep,
) -> TokenPair:
    response.headers.update(NO_STORE)
    pair, _user = service.rotate_refresh_token(
        session,
        raw_token=data.refresh_token,
        issuer=issuer,
        refresh_ttl_s=platform.settings.auth.refresh_token_ttl_s,
    )
    return pair


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a refresh token and every token rotated from the same login",
)
def logout(data: RefreshRequest, session: SessionDep) -> Response:
    service.revoke_refresh_token(session, raw_token=data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/userinfo", response_model=UserInfo, summary="OIDC userinfo of the caller")
def userinfo(principal: CurrentPrincipal, session: SessionDep) -> UserInfo:
    user = repository.get_user(session, user_id=principal.subject)
    return UserInfo(
        sub=principal.subject,
        email=user.email if user else None,
        name=user.full_name if user else None,
        roles=sorted(principal.roles),
    )


@router.post(
    "/auth/keys/rotate",
    response_model=Jwks,
    summary="Start signing with a new key (old keys stay published until retired)",
    responses=problem_responses(409),
)
def rotate_keys(
    platform: PlatformDep,
    session: SessionDep,
    principal: Annotated[Principal, Depends(allowed(Action.KEYS_ROTATE))],
) -> Jwks:
    try:
        key = platform.keys.rotate()
    except KeysNotManagedError as exc:
        raise ConflictError(str(exc)) from None
    repository.add_audit_entry(
        session,
        action="keys.rotated",
        actor=platform.pseudonym(principal.subject),
        subject=None,
        request_id=request_id_var.get(),
        detail={"kid": key.kid},
    )
    return Jwks.model_validate(platform.keys.jwks())


@oidc_router.get(
    "/.well-known/openid-configuration",
    response_model=OpenIDConfiguration,
    summary="OIDC discovery document",
)
def openid_configuration(platform: PlatformDep, response: Response) -> OpenIDConfiguration:
    issuer = platform.settings.auth_issuer
    response.headers["Cache-Control"] = "public, max-age=300"
    return OpenIDConfiguration(
        issuer=issuer,
        jwks_uri=f"{issuer}/.well-known/jwks.json",
        token_endpoint=f"{issuer}/auth/token",
        userinfo_endpoint=f"{issuer}/auth/userinfo",
        response_types_supported=["token"],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=["RS256"],
        token_endpoint_auth_methods_supported=["none"],
        grant_types_supported=["password", "refresh_token"],
        claims_supported=["sub", "iss", "aud", "exp", "iat", "jti", "roles", "sid"],
    )


@oidc_router.get("/.well-known/jwks.json", response_model=Jwks, summary="Public signing keys")
def jwks(platform: PlatformDep, response: Response) -> Jwks:
    response.headers["Cache-Control"] = "public, max-age=300"
    return Jwks.model_validate(platform.keys.jwks())
