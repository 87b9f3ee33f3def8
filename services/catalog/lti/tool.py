"""LTI 1.3 tool logic: login initiation, id_token validation, deep linking, AGS scores.

The platform's id_token is accepted only when its signature verifies against the platform's
JWKS, ``iss``/``aud`` (and ``azp`` with several audiences) match a registration, the ``nonce``
is the one issued at login for this single-use ``state``, the deployment is registered, and the
LTI version and message type are supported. Outbound calls (JWKS, token endpoint, score
service) use the registration's URLs only.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.catalog.lti import claims as c
from services.catalog.lti.schemas import PlatformCreate, ScoreCreate
from services.catalog.models import LtiLaunch, LtiPlatform, LtiScore, LtiState
from services.common.auth import federated_user_id
from services.common.db import utcnow
from services.common.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    UnauthenticatedError,
    UpstreamError,
)
from services.common.keys import KeyStore

STATE_TTL = timedelta(minutes=10)
DEEP_LINK_TTL = timedelta(hours=1)
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class LaunchError(DomainError):
    """An LTI login or launch that must be refused (400, naming the failed check)."""

    status = 400
    slug = "lti-launch-invalid"


class LtiTool:
    """The tool side of LTI 1.3, bound to learnloop's public base URL and its tool keys."""

    def __init__(self, *, base_url: str, keys: KeyStore, timeout_s: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.keys = keys
        self.timeout_s = timeout_s
        self._jwks: dict[str, jwt.PyJWKClient] = {}
        self._tokens: dict[str, tuple[str, float]] = {}

    @property
    def launch_url(self) -> str:
        """Where platforms post id_tokens."""
        return f"{self.base_url}/lti/launch"

    # registration ---------------------------------------------------------------------------

    def register_platform(self, session: Session, data: PlatformCreate) -> LtiPlatform:
        """Store a platform registration (409 when issuer + client id exist)."""
        duplicate = session.scalar(
            select(LtiPlatform).where(
                LtiPlatform.issuer == data.issuer, LtiPlatform.client_id == data.client_id
            )
        )
        if duplicate is not None:
            raise ConflictError(
                "this issuer and client_id are already registered", field="client_id"
            )
        platform = LtiPlatform(
            id=str(uuid.uuid4()),
            issuer=data.issuer,
            client_id=data.client_id,
            deployment_ids=list(dict.fromkeys(data.deployment_ids)),
            auth_login_url=str(data.auth_login_url),
            auth_token_url=str(data.auth_token_url),
            key_set_url=str(data.key_set_url),
            created_at=utcnow(),
        )
        session.add(platform)
        session.flush()
        return platform

    # login initiation ------------------------------------------------------------------------

    def _platform_for(self, session: Session, issuer: str, client_id: str | None) -> LtiPlatform:
        query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
        if client_id:
            query = query.where(LtiPlatform.client_id == client_id)
        found = list(session.scalars(query).all())
        if not found:
            raise LaunchError(f"platform {issuer!r} is not registered", field="iss")
        if len(found) > 1:
            raise LaunchError(
                "several registrations for this issuer; send client_id", field="client_id"
            )
        return found[0]

    def login(
        self,
        session: Session,
        *,
        issuer: str,
        login_hint: str,
        target_link_uri: str,
        client_id: str | None,
        lti_message_hint: str | None,
        deployment_id: str | None,
    ) -> str:
        """Create state and nonce; return the platform authorization URL to redirect to."""
        platform = self._platform_for(session, issuer, client_id)
        if deployment_id and deployment_id not in platform.deployment_ids:
            raise LaunchError(
                f"deployment {deployment_id!r} is not registered", field="lti_deployment_id"
            )
        if not target_link_uri.startswith(self.base_url + "/"):
            raise LaunchError("target_link_uri is not a learnloop URL", field="target_link_uri")
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        session.add(
            LtiState(
                state=state,
                nonce=nonce,
                platform_id=platform.id,
                target_link_uri=target_link_uri,
                created_at=utcnow(),
                expires_at=utcnow() + STATE_TTL,
            )
        )
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": platform.client_id,
            "redirect_uri": self.launch_url,
            "login_hint": login_hint,
            "state": state,
            "nonce": nonce,
        }
        if lti_message_hint:
            params["lti_message_hint"] = lti_message_hint
        separator = "&" if "?" in platform.auth_login_url else "?"
        return f"{platform.auth_login_url}{separator}{urlencode(params)}"

    # launch --------------------------------------------------------------------------------

    def _platform_key(self, platform: LtiPlatform, token: str) -> Any:
        client = self._jwks.setdefault(
            platform.key_set_url,
            jwt.PyJWKClient(
                platform.key_set_url, cache_keys=True, lifespan=300, timeout=int(self.timeout_s)
            ),
        )
        try:
            return client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError:
            raise UpstreamError("cannot read the platform's keys") from None
        except jwt.PyJWKClientError as exc:
            raise LaunchError(f"id_token key not accepted: {exc}", field="id_token") from None
        except jwt.DecodeError:
            raise LaunchError("id_token is not a JWT", field="id_token") from None

    def _consume_state(self, session: Session, state: str) -> LtiState:
        row = session.get(LtiState, state)
        if row is None:
            raise LaunchError("unknown state (start from the LMS again)", field="state")
        if row.expires_at <= utcnow():
            raise LaunchError("state expired", field="state")
        used = session.execute(
            update(LtiState)
            .where(LtiState.state == state, LtiState.used_at.is_(None))
            .values(used_at=utcnow())
        )
        if int(getattr(used, "rowcount", 0) or 0) != 1:
            raise LaunchError("state already used (replayed launch)", field="state")
        return row

    def validate_launch(self, session: Session, *, id_token: str, state: str) -> dict[str, Any]:
        """Check state and id_token; return the verified claims."""
        login = self._consume_state(session, state)
        session.commit()  # the state is spent even if the token turns out to be invalid
        platform = session.get(LtiPlatform, login.platform_id)
        if platform is None:
            raise LaunchError("platform registration was removed", field="state")
        key = self._platform_key(platform, id_token)
        try:
            token_claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=platform.client_id,
                issuer=platform.issuer,
                leeway=30,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.ExpiredSignatureError:
            raise LaunchError("id_token expired", field="id_token") from None
        except jwt.InvalidAudienceError:
            raise LaunchError(
                "id_token audience is not this tool's client_id", field="id_token"
            ) from None
        except jwt.InvalidIssuerError:
            raise LaunchError(
                "id_token issuer does not match the login", field="id_token"
            ) from None
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"id_token invalid: {exc}", field="id_token") from None
        audiences = (
            token_claims["aud"] if isinstance(token_claims["aud"], list) else [token_claims["aud"]]
        )
        if len(audiences) > 1 and token_claims.get("azp") != platform.client_id:
            raise LaunchError(
                "azp must be the client_id when there are several audiences", field="id_token"
            )
        if token_claims["nonce"] != login.nonce:
            raise LaunchError("nonce does not match the login", field="id_token")
        if token_claims.get(c.DEPLOYMENT_ID) not in platform.deployment_ids:
            raise LaunchError("deployment_id is not registered", field="id_token")
        if token_claims.get(c.VERSION) != c.LTI_VERSION:
            raise LaunchError(f"LTI version must be {c.LTI_VERSION}", field="id_token")
        message_type = token_claims.get(c.MESSAGE_TYPE)
        if message_type not in (c.RESOURCE_LINK_REQUEST, c.DEEP_LINKING_REQUEST):
            raise LaunchError(f"unsupported message type {message_type!r}", field="id_token")
        if message_type == c.RESOURCE_LINK_REQUEST and not (
            token_claims.get(c.RESOURCE_LINK) or {}
        ).get("id"):
            raise LaunchError("resource_link.id is required", field="id_token")
        token_claims["_platform_id"] = platform.id
        return token_claims

    def record_launch(self, session: Session, token_claims: dict[str, Any]) -> LtiLaunch:
        """Store a validated launch (the LMS user becomes a pseudonymous learner id)."""
        ags = token_claims.get(c.AGS_ENDPOINT) or {}
        settings = token_claims.get(c.DEEP_LINKING_SETTINGS) or {}
        custom = token_claims.get(c.CUSTOM) or {}
        subject = str(token_claims.get("sub") or "anonymous")
        launch = LtiLaunch(
            id=str(uuid.uuid4()),
            platform_id=token_claims["_platform_id"],
            deployment_id=token_claims[c.DEPLOYMENT_ID],
            message_type=token_claims[c.MESSAGE_TYPE],
            learner_id=federated_user_id(token_claims["iss"], subject),
            platform_user=subject,
            roles=[r for r in token_claims.get(c.ROLES, []) if isinstance(r, str)],
            resource_link_id=(token_claims.get(c.RESOURCE_LINK) or {}).get("id"),
            context_id=(token_claims.get(c.CONTEXT) or {}).get("id"),
            item_id=custom.get("item_id") if isinstance(custom, dict) else None,
            lineitem_url=ags.get("lineitem"),
            ags_scopes=list(ags.get("scope", [])),
            deep_link_return_url=settings.get("deep_link_return_url"),
            deep_link_data=settings.get("data"),
            created_at=utcnow(),
        )
        session.add(launch)
        session.flush()
        return launch

    # deep linking ----------------------------------------------------------------------------

    def deep_link_response(
        self, session: Session, launch: LtiLaunch, items: list[tuple[str, str]]
    ) -> tuple[str, str]:
        """(return URL, signed LtiDeepLinkingResponse JWT) for the chosen (item id, title)."""
        if launch.message_type != c.DEEP_LINKING_REQUEST or not launch.deep_link_return_url:
            raise ConflictError("this launch is not a deep-linking request")
        if utcnow() - launch.created_at > DEEP_LINK_TTL:
            raise ConflictError("deep-linking session expired; start again from the LMS")
        if not set(launch.roles) & set(c.INSTRUCTOR_ROLES):
            raise UnauthenticatedError("only instructors may add content from the LMS")
        platform = session.get(LtiPlatform, launch.platform_id)
        if platform is None:
            raise NotFoundError("platform registration was removed")
        key = self.keys.active()
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": platform.client_id,
            "aud": platform.issuer,
            "iat": now,
            "exp": now + 300,
            "nonce": secrets.token_urlsafe(16),
            c.MESSAGE_TYPE: c.DEEP_LINKING_RESPONSE,
            c.VERSION: c.LTI_VERSION,
            c.DEPLOYMENT_ID: launch.deployment_id,
            c.CONTENT_ITEMS: [
                {
                    "type": "ltiResourceLink",
                    "title": title,
                    "url": self.launch_url,
                    "custom": {"item_id": item_id},
                }
                for item_id, title in items
            ],
        }
        if launch.deep_link_data:
            payload[c.DL_DATA] = launch.deep_link_data
        token = jwt.encode(payload, key.private_key, algorithm="RS256", headers={"kid": key.kid})
        return launch.deep_link_return_url, token

    # assignment and grade services -----------------------------------------------------------

    def _access_token(self, platform: LtiPlatform) -> str:
        cached = self._tokens.get(platform.id)
        if cached and cached[1] > time.time() + 30:
            return cached[0]
        key = self.keys.active()
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": platform.client_id,
                "sub": platform.client_id,
                "aud": platform.auth_token_url,
                "iat": now,
                "exp": now + 300,
                "jti": uuid.uuid4().hex,
            },
            key.private_key,
            algorithm="RS256",
            headers={"kid": key.kid},
        )
        try:
            with httpx.Client(timeout=self.timeout_s) as client:
                answer = client.post(
                    platform.auth_token_url,
                    data={
                        "grant_type": "client_credentials",
                        "client_assertion_type": JWT_BEARER,
                        "client_assertion": assertion,
                        "scope": c.AGS_SCORE_SCOPE,
                    },
                )
                answer.raise_for_status()
                body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise UpstreamError(f"platform token endpoint refused: {exc}") from None
        token = str(body.get("access_token", ""))
        if not token:
            raise UpstreamError("platform token endpoint sent no access_token")
        self._tokens[platform.id] = (token, time.time() + float(body.get("expires_in", 300)))
        return token

    def send_score(self, session: Session, launch: LtiLaunch, score: ScoreCreate) -> LtiScore:
        """POST a score to the launch's line item (AGS) and record it."""
        if not launch.lineitem_url or c.AGS_SCORE_SCOPE not in launch.ags_scopes:
            raise InvalidInputError(
                "this launch has no gradebook column (AGS) to score", field="launch_id"
            )
        platform = session.get(LtiPlatform, launch.platform_id)
        if platform is None:
            raise NotFoundError("platform registration was removed")
        parts = urlsplit(launch.lineitem_url)
        scores_url = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))
        body = {
            "userId": launch.platform_user,
            "scoreGiven": score.score_given,
            "scoreMaximum": score.score_maximum,
            "activityProgress": score.activity_progress,
            "gradingProgress": score.grading_progress,
            "timestamp": utcnow().isoformat(),
        }
        if score.comment:
            body["comment"] = score.comment
        try:
            with httpx.Client(timeout=self.timeout_s) as client:
                answer = client.post(
                    scores_url,
                    json=body,
                    headers={
                        "Authorization": f"Bearer {self._access_token(platform)}",
                        "Content-Type": c.SCORE_MEDIA_TYPE,
                    },
                )
        except httpx.HTTPError as exc:
            raise UpstreamError(f"platform score service unreachable: {exc}") from None
        if answer.status_code >= 400:
            raise UpstreamError(f"platform score service answered {answer.status_code}")
        record = LtiScore(
            id=str(uuid.uuid4()),
            launch_id=launch.id,
            score_given=score.score_given,
            score_maximum=score.score_maximum,
            status_code=answer.status_code,
            sent_at=utcnow(),
        )
        session.add(record)
        session.flush()
        return record
