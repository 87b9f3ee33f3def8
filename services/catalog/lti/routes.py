"""LTI 1.3 tool endpoints (``/lti``): configuration, JWKS, login, launch, deep linking, scores."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, status
from fastapi.responses import HTMLResponse, RedirectResponse

from learnloop.web import problem_responses
from services.catalog import repository
from services.catalog.deps import LtiToolDep
from services.catalog.lti import claims as c
from services.catalog.lti.pages import auto_post_page, item_page, origin_of, picker_page
from services.catalog.lti.schemas import (
    PlatformCreate,
    PlatformPublic,
    PlatformsPublic,
    ScoreCreate,
    ScorePublic,
    ToolConfiguration,
)
from services.catalog.models import LtiLaunch, LtiPlatform
from services.common.deps import IdPath, SessionDep, allowed
from services.common.errors import NotFoundError
from services.common.principal import Principal
from services.common.rbac import Action
from services.common.schemas import Jwks

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/lti", tags=["lti"])
LTI_ERRORS = problem_responses(400, 404, 409)
PICKER_LIMIT = 50


@router.get("/config", response_model=ToolConfiguration, summary="Tool registration values")
def tool_configuration(tool: LtiToolDep) -> ToolConfiguration:
    return ToolConfiguration(
        title="learnloop",
        login_url=f"{tool.base_url}/lti/login",
        launch_url=tool.launch_url,
        deep_linking_url=tool.launch_url,
        jwks_url=f"{tool.base_url}/lti/jwks",
        scopes=[c.AGS_SCORE_SCOPE],
    )


@router.get("/jwks", response_model=Jwks, summary="The tool's public keys")
def tool_jwks(tool: LtiToolDep) -> Jwks:
    return Jwks.model_validate(tool.keys.jwks())


def _login(
    tool: LtiToolDep,
    session: SessionDep,
    iss: str,
    login_hint: str,
    target_link_uri: str,
    client_id: str | None,
    lti_message_hint: str | None,
    lti_deployment_id: str | None,
) -> RedirectResponse:
    url = tool.login(
        session,
        issuer=iss,
        login_hint=login_hint,
        target_link_uri=target_link_uri,
        client_id=client_id,
        lti_message_hint=lti_message_hint,
        deployment_id=lti_deployment_id,
    )
    return RedirectResponse(url, status_code=status.HTTP_302_FOUND)


Text = Annotated[str, Query(min_length=1, max_length=2048)]
OptionalText = Annotated[str | None, Query(max_length=2048)]
FormText = Annotated[str, Form(min_length=1, max_length=2048)]
OptionalFormText = Annotated[str | None, Form(max_length=2048)]


@router.get(
    "/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "To the platform's authorization endpoint"}, **LTI_ERRORS},
    summary="OIDC third-party login initiation (GET)",
)
def login_get(
    tool: LtiToolDep,
    session: SessionDep,
    iss: Text,
    login_hint: Text,
    target_link_uri: Text,
    client_id: OptionalText = None,
    lti_message_hint: OptionalText = None,
    lti_deployment_id: OptionalText = None,
) -> RedirectResponse:
    return _login(
        tool,
        session,
        iss,
        login_hint,
        target_link_uri,
        client_id,
        lti_message_hint,
        lti_deployment_id,
    )


@router.post(
    "/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={302: {"description": "To the platform's authorization endpoint"}, **LTI_ERRORS},
    summary="OIDC third-party login initiation (form POST)",
)
def login_post(
    tool: LtiToolDep,
    session: SessionDep,
    iss: FormText,
    login_hint: FormText,
    target_link_uri: FormText,
    client_id: OptionalFormText = None,
    lti_message_hint: OptionalFormText = None,
    lti_deployment_id: OptionalFormText = None,
) -> RedirectResponse:
    return _login(
        tool,
        session,
        iss,
        login_hint,
        target_link_uri,
        client_id,
        lti_message_hint,
        lti_deployment_id,
    )


@router.post(
    "/launch",
    response_class=HTMLResponse,
    responses=LTI_ERRORS,
    summary="Launch: validate the platform's id_token, show the item or the content picker",
)
def launch(
    tool: LtiToolDep,
    session: SessionDep,
    id_token: Annotated[str, Form(min_length=1, max_length=20_000)],
    state: Annotated[str, Form(min_length=1, max_length=128)],
) -> HTMLResponse:
    token_claims = tool.validate_launch(session, id_token=id_token, state=state)
    record = tool.record_launch(session, token_claims)
    logger.info("lti launch %s (%s) from %s", record.id, record.message_type, token_claims["iss"])
    platform = session.get(LtiPlatform, record.platform_id)
    frame = origin_of(platform.issuer) if platform else None
    if record.message_type == c.DEEP_LINKING_REQUEST:
        items, _ = repository.list_items(
            session,
            q=None,
            course_id=None,
            lesson_id=None,
            kind=None,
            skill=None,
            offset=0,
            limit=PICKER_LIMIT,
        )
        return picker_page(
            launch_id=record.id,
            action=f"{tool.base_url}/lti/deep-linking/{record.id}",
            items=[(i.id, i.title) for i in items],
            frame_origin=frame,
        )
    item = repository.get_item(session, item_id=record.item_id) if record.item_id else None
    return item_page(
        launch_id=record.id,
        title=item.title if item else "learnloop",
        body=item.body if item else "Welcome to learnloop.",
        attribution=item.attribution if item else None,
        frame_origin=frame,
    )


@router.post(
    "/deep-linking/{launch_id}",
    response_class=HTMLResponse,
    responses=problem_responses(401, 404, 409, 422),
    summary="Deep linking: return the chosen items to the LMS as a signed response",
)
def deep_linking_response(
    launch_id: IdPath,
    tool: LtiToolDep,
    session: SessionDep,
    item_id: Annotated[list[str], Form(min_length=1, max_length=50)],
) -> HTMLResponse:
    record = session.get(LtiLaunch, launch_id)
    if record is None:
        raise NotFoundError(f"launch {launch_id} not found")
    chosen = []
    for value in item_id:
        item = repository.get_item(session, item_id=value)
        if item is None:
            raise NotFoundError(f"item {value} not found", field="item_id")
        chosen.append((item.id, item.title))
    url, token = tool.deep_link_response(session, record, chosen)
    platform = session.get(LtiPlatform, record.platform_id)
    return auto_post_page(
        url=url, jwt_value=token, frame_origin=origin_of(platform.issuer) if platform else None
    )


@router.post(
    "/platforms",
    response_model=PlatformPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409),
    summary="Register an LMS (admin)",
)
def register_platform(
    data: PlatformCreate,
    tool: LtiToolDep,
    session: SessionDep,
    _principal: Annotated[Principal, Depends(allowed(Action.LTI_ADMIN))],
) -> PlatformPublic:
    return PlatformPublic.model_validate(tool.register_platform(session, data))


@router.get(
    "/platforms",
    response_model=PlatformsPublic,
    responses=problem_responses(401, 403),
    summary="Registered LMSs (admin)",
)
def list_platforms(
    session: SessionDep, _principal: Annotated[Principal, Depends(allowed(Action.LTI_ADMIN))]
) -> PlatformsPublic:
    from sqlalchemy import select

    rows = session.scalars(select(LtiPlatform).order_by(LtiPlatform.created_at)).all()
    return PlatformsPublic(data=[PlatformPublic.model_validate(r) for r in rows])


@router.post(
    "/launches/{launch_id}/scores",
    response_model=ScorePublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422, 502),
    summary="Send a score to the LMS gradebook (Assignment and Grade Services)",
)
def send_score(
    launch_id: IdPath,
    data: ScoreCreate,
    tool: LtiToolDep,
    session: SessionDep,
    _principal: Annotated[Principal, Depends(allowed(Action.LTI_GRADE))],
) -> ScorePublic:
    record = session.get(LtiLaunch, launch_id)
    if record is None:
        raise NotFoundError(f"launch {launch_id} not found")
    score = tool.send_score(session, record, data)
    return ScorePublic(
        id=score.id,
        launch_id=record.id,
        score_given=score.score_given,
        score_maximum=score.score_maximum,
        status_code=score.status_code,
        sent_at=score.sent_at,
    )
