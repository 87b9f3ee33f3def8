"""RES's HTTP API (FastAPI, mounted on the BentoML service): ``POST /recommendations``.

Built with ``learnloop.web.create_service_app`` like every learnloop service: RFC 9457 problem
bodies for bad requests (422 naming each field), request ids, RED metrics. Under BentoML its
``/healthz``, ``/readyz`` and ``/metrics`` are BentoML's (they answer first); the service wires
readiness and the metrics registry into them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from learnloop.web import FieldProblem, ProblemError
from learnloop.web.openapi import problem_responses
from serving.bento import hosted_app
from serving.res.runtime import ResRuntime
from serving.res.schemas import (
    RecommendationRequest,
    RecommendationResponse,
    recommendation_json,
)

JSON = "application/json"
DESCRIPTION = (
    "Recommendation service (RES): next items for a learner from the champion KT model and "
    "recommender, the learner's online features and the skill graph. Items never have "
    "unmastered prerequisites; each carries machine-readable reasons. Unknown learners get a "
    "cold-start answer. `served.degraded` flags answers that used fallbacks. Put `exposure` "
    "into the context of the events about served items."
)


def runtime_of(request: Request) -> ResRuntime:
    """The process's runtime (503 until the service has started)."""
    runtime: ResRuntime | None = getattr(request.app.state, "runtime", None)
    if runtime is None or not runtime.ready:
        raise ProblemError(503, "RES is starting; retry shortly", headers={"Retry-After": "2"})
    return runtime


def check_request(body: RecommendationRequest, runtime: ResRuntime) -> None:
    """Limits that depend on settings and the served catalog (422 naming the field)."""
    errors = []
    max_k = runtime.settings.serving.max_k
    if body.k > max_k:
        errors.append(FieldProblem(field="k", reason=f"at most {max_k}, got {body.k}"))
    if body.course_id is not None and body.course_id not in runtime.index.course_ids:
        errors.append(FieldProblem(field="course_id", reason=f"unknown course {body.course_id!r}"))
    if errors:
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors)
        raise ProblemError(
            422, detail, slug="validation-error", title="Invalid request", errors=errors
        )


REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RecommendationRequest.model_json_schema()}},
    }
}


def parse_request(raw: bytes) -> RecommendationRequest:
    """The request body validated in one pass over the bytes (a typed FastAPI body parameter
    costs a content-type parse, a JSON decode and a validation); FastAPI's 422 on errors."""
    if not raw:
        missing = {"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}
        raise RequestValidationError([missing])
    try:
        return RecommendationRequest.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None


def create_res_app() -> FastAPI:
    """The RES HTTP app; set ``app.state.runtime`` before serving requests."""
    router = APIRouter(tags=["recommendations"])

    @router.post(
        "/recommendations",
        response_model=RecommendationResponse,
        summary="Next items for a learner",
        responses=problem_responses(422, 503),
        openapi_extra=REQUEST_BODY,
    )
    async def recommend(request: Request) -> Response:
        body = parse_request(await request.body())
        runtime = runtime_of(request)
        check_request(body, runtime)
        result = await runtime.recommend(body.query(), body.platform)
        return Response(recommendation_json(body.learner_id, result), media_type=JSON)

    @router.get("/model", summary="Served model versions and catalog size")
    async def model(request: Request) -> dict[str, Any]:
        return runtime_of(request).describe()

    return hosted_app(
        service="res",
        description=DESCRIPTION,
        router=router,
        hot_path="/recommendations",
        state="runtime",
        check="models",
        ready=lambda runtime: bool(runtime.ready),
    )
