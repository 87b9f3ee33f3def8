"""LPS's HTTP API (FastAPI, mounted on the BentoML service): plan and read learning paths."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Path, Request, status

from features.events import Identifier
from learnloop.web import FieldProblem, ProblemError
from learnloop.web.openapi import problem_responses
from serving.bento import hosted_app
from serving.lps.planning import PathRequestError, PathService
from serving.lps.schemas import PathList, PathRequest, PathResponse, path_response

DESCRIPTION = (
    "Learning path service (LPS): an ordered, prerequisite-respecting path of skills and items "
    "to goal skills (or a course) with expected mastery per step, under an optional time "
    "budget. Paths are stored and re-planned when progress shows the learner ahead or behind. "
    "Mastery comes from RES over gRPC; `served.source` says when a cached or prior answer was "
    "used because RES was unavailable."
)


def service_of(request: Request) -> PathService:
    """The process's path service (503 until the service has started)."""
    service: PathService | None = getattr(request.app.state, "paths", None)
    if service is None:
        raise ProblemError(503, "LPS is starting; retry shortly", headers={"Retry-After": "2"})
    return service


def _invalid(exc: PathRequestError) -> ProblemError:
    return ProblemError(
        422,
        str(exc),
        slug="validation-error",
        title="Invalid request",
        errors=[FieldProblem(field=exc.field, reason=exc.reason)],
    )


def create_lps_app() -> FastAPI:
    """The LPS HTTP app; set ``app.state.paths`` before serving requests."""
    router = APIRouter(tags=["paths"])

    @router.post(
        "/paths",
        status_code=status.HTTP_201_CREATED,
        response_model=PathResponse,
        summary="Plan and store a learning path",
        responses=problem_responses(422, 503),
    )
    async def create_path(body: PathRequest, request: Request) -> PathResponse:
        service = service_of(request)
        try:
            goals = service.goals(body.goal_skills, body.course_id)
            stored = await service.create(body.learner_id, goals, body.budget_minutes)
        except PathRequestError as exc:
            raise _invalid(exc) from None
        return path_response(stored)

    @router.get(
        "/paths/{path_id}",
        response_model=PathResponse,
        summary="A stored path (latest version, with its re-plans)",
        responses=problem_responses(404),
    )
    async def get_path(
        request: Request, path_id: str = Path(pattern=r"^[0-9a-f-]{36}$")
    ) -> PathResponse:
        stored = service_of(request).store.get(path_id)
        if stored is None:
            raise ProblemError(404, f"no path {path_id}", slug="not-found")
        return path_response(stored)

    @router.get(
        "/learners/{learner_id}/paths",
        response_model=PathList,
        summary="A learner's paths, newest first, each with its re-plans",
    )
    async def learner_paths(learner_id: Identifier, request: Request) -> PathList:
        stored = service_of(request).store.for_learner(learner_id, with_replans=True)
        return PathList(data=[path_response(p) for p in stored])

    return hosted_app(
        service="lps",
        description=DESCRIPTION,
        router=router,
        hot_path="/paths",
        state="paths",
        check="paths",
    )
