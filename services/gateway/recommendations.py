"""``POST /recommendations``: the gateway forwards to RES through a circuit breaker and degrades.

A request without ``history`` gets the learner's recently answered catalog items (from their
assessment answers), so that RES knows where the learner is and does not offer those items
again. RES answers are forwarded (short timeout). When RES is down, slow, failing or its breaker is
open, the learner still gets a 200: their last good answer (in-process LRU, short-lived), else
the first items of the requested course in catalog order, flagged ``degraded`` with reason
``res_unavailable`` and counted in ``learnloop_gateway_degraded_total``.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections import OrderedDict
from typing import Annotated, Any, Literal

import httpx
from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from learnloop.settings import Settings
from learnloop.web import ProblemError, problem_responses
from learnloop.web.breaker import CircuitBreaker
from learnloop.web.dberrors import is_unavailable
from learnloop.web.security_tls import client_verify
from services.assessments.service import recently_answered_items
from services.catalog import repository as catalog
from services.common.deps import current_principal
from services.common.platform import Platform
from services.common.principal import Principal
from services.common.rbac import Action, authorize

log = logging.getLogger(__name__)

DEGRADED = Counter(
    "learnloop_gateway_degraded_total",
    "Gateway answers served without RES, by reason and fallback source (cache, popular).",
    ["reason", "source"],
)
OpaqueId = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
]


class RecommendationsRequest(BaseModel):
    """What to recommend (the RES request body; a learner asks for themself)."""

    model_config = ConfigDict(extra="forbid")

    learner_id: OpaqueId
    k: int = Field(default=10, ge=1, le=100, description="How many items.")
    course_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$"
    )
    history: list[OpaqueId] = Field(
        default_factory=list, max_length=200, description="Recent item ids, oldest first."
    )
    exclude_seen: bool = Field(default=True, description="Do not repeat items in `history`.")


class RecommendedItem(BaseModel):
    """One item; fallback items carry no model score."""

    item_id: str
    score: float | None = None
    p_correct: float | None = None
    skills: list[str] = Field(default_factory=list)
    reasons: list[dict[str, Any]] = Field(default_factory=list)


class RecommendationsAnswer(BaseModel):
    """Recommendations, best first; ``degraded`` when RES could not answer."""

    learner_id: str
    items: list[RecommendedItem]
    degraded: bool = False
    reason: Literal["res_unavailable"] | None = None
    source: Literal["res", "cache", "popular"] = "res"
    served: dict[str, Any] | None = Field(default=None, description="RES model metadata.")
    exposure: dict[str, Any] | None = Field(default=None, description="RES experiment exposure.")


class ResProxy:
    """Calls RES through a breaker and remembers each learner's last good answer."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float,
        breaker: CircuitBreaker,
        cache_size: int = 1024,
        cache_ttl_s: float = 600.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.url = url.rstrip("/") + "/recommendations"
        self.timeout_s = timeout_s
        self.verify = verify  # RES's https certificate checked against security.tls_ca_file
        self.breaker = breaker
        self.cache_size = cache_size
        self.cache_ttl_s = cache_ttl_s
        self._cache: OrderedDict[tuple[str, str | None], tuple[float, RecommendationsAnswer]] = (
            OrderedDict()
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ResProxy:
        serving = settings.serving
        breaker = CircuitBreaker(
            "gateway", "res", failures=serving.breaker_failures, reset_s=serving.breaker_reset_s
        )
        return cls(
            settings.res_url,
            timeout_s=serving.gateway_res_timeout_ms / 1000,
            breaker=breaker,
            verify=client_verify(settings),
        )

    async def ask(self, body: RecommendationsRequest) -> RecommendationsAnswer | None:
        """RES's answer, or None when RES is unavailable (breaker open, error, timeout)."""
        if not self.breaker.allow():
            return None
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s, verify=self.verify) as client:
                response = await client.post(self.url, json=body.model_dump(exclude_none=True))
            if 400 <= response.status_code < 500:
                self.breaker.record_success()  # RES is up; the request is at fault
                raise ProblemError(502, f"RES rejected the request ({response.status_code})")
            response.raise_for_status()
            answer = RecommendationsAnswer.model_validate(response.json())
        except ProblemError:
            raise
        except (httpx.HTTPError, ValueError) as exc:  # ValidationError is a ValueError
            log.warning("RES unavailable: %s", type(exc).__name__)
            self.breaker.record_failure()
            return None
        except BaseException:  # cancelled: no verdict, let another trial through
            self.breaker.release()
            raise
        self.breaker.record_success()
        self._remember(body, answer)
        return answer

    def cached(self, body: RecommendationsRequest) -> RecommendationsAnswer | None:
        """The learner's last good answer for this course, if fresh."""
        key = (body.learner_id, body.course_id)
        entry = self._cache.get(key)
        if entry is None or time.monotonic() - entry[0] > self.cache_ttl_s:
            self._cache.pop(key, None)
            return None
        self._cache.move_to_end(key)
        return entry[1]

    def _remember(self, body: RecommendationsRequest, answer: RecommendationsAnswer) -> None:
        key = (body.learner_id, body.course_id)
        self._cache[key] = (time.monotonic(), answer)
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def recent_history(platform: Platform, learner_id: str) -> list[str]:
    """The learner's recently answered catalog items, oldest first (RES ``history``); none
    while the database is unavailable (RES still answers, from the request alone)."""
    try:
        with platform.db.session() as session:
            return recently_answered_items(session, learner_id=learner_id)
    except SQLAlchemyError as error:
        if not is_unavailable(error):
            raise
        log.warning("no history for RES: database unavailable (%s)", type(error).__name__)
        return []


def popular_items(platform: Platform, body: RecommendationsRequest) -> list[RecommendedItem]:
    """The course's first items in catalog order (lesson, position), unseen ones first."""
    seen = set(body.history) if body.exclude_seen else set()
    with platform.db.session() as session:
        items, _total = catalog.list_items(
            session,
            q=None,
            course_id=body.course_id,
            lesson_id=None,
            kind=None,
            skill=None,
            offset=0,
            limit=body.k + len(seen),
        )
        chosen = [item.id for item in items if item.id not in seen][: body.k]
        skills = catalog.skills_of(session, item_ids=chosen)
    return [
        RecommendedItem(item_id=i, skills=skills.get(i, []), reasons=[{"kind": "popular"}])
        for i in chosen
    ]


router = APIRouter(tags=["recommendations"], responses=problem_responses(401, 403, 502))


@router.post(
    "/recommendations",
    response_model=RecommendationsAnswer,
    summary="Recommendations for a learner (degrades when RES is unavailable)",
)
async def recommendations(
    request: Request,
    body: RecommendationsRequest,
    principal: Annotated[Principal, Depends(current_principal)],
) -> RecommendationsAnswer:
    """Forward to RES; if it cannot answer, the last good answer or popular course items,
    flagged ``degraded: true, reason: res_unavailable``."""
    authorize(principal, Action.PROGRESS_READ, body.learner_id)
    platform: Platform = request.app.state.platform
    if not body.history:
        history = await to_thread.run_sync(recent_history, platform, body.learner_id)
        body = body.model_copy(update={"history": history})
    proxy: ResProxy = request.app.state.res_proxy
    answer = await proxy.ask(body)
    if answer is not None:
        return answer
    fallback = proxy.cached(body)
    if fallback is not None:
        DEGRADED.labels("res_unavailable", "cache").inc()
        return fallback.model_copy(
            update={"degraded": True, "reason": "res_unavailable", "source": "cache"}
        )
    items = await to_thread.run_sync(popular_items, platform, body)
    DEGRADED.labels("res_unavailable", "popular").inc()
    return RecommendationsAnswer(
        learner_id=body.learner_id,
        items=items,
        degraded=True,
        reason="res_unavailable",
        source="popular",
    )
