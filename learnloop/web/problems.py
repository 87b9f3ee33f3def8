"""RFC 9457 problem details for every error response.

Handlers turn :class:`ProblemError`, Starlette ``HTTPException`` and request validation errors
into ``application/problem+json`` bodies with ``type``, ``title``, ``status``, ``detail``,
``instance`` and, for validation errors, ``errors`` naming each bad field. Unexpected
exceptions become a 500 problem that carries the request id and never a traceback.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from learnloop.log import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://learnloop.dev/problems/"
logger = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    """One invalid input field."""

    field: str
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = Field(default=None)


class ProblemError(Exception):
    """Raise from a route or service to answer with a problem body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.headers = headers


def make_problem(
    status: int,
    detail: str | None,
    *,
    instance: str | None,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldProblem] | None = None,
    request_id: str | None = None,
) -> Problem:
    """The problem body: ``type`` under :data:`PROBLEM_BASE` for a ``slug`` (else
    ``about:blank``), ``title`` the status phrase unless given."""
    return Problem(
        type=PROBLEM_BASE + slug if slug else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id,
        errors=errors,
    )


def problem_response(
    request: Request,
    status: int,
    detail: str | None,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build the ``application/problem+json`` response."""
    problem = make_problem(
        status,
        detail,
        instance=request.url.path,
        slug=slug,
        title=title,
        errors=errors,
        request_id=request_id_var.get(),
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:] or parts
    return ".".join(parts) or "(body)"


def validation_problems(exc: RequestValidationError) -> list[FieldProblem]:
    """Per-field reasons of a FastAPI request validation error."""
    problems = []
    for err in exc.errors():
        reason = "field required" if err.get("type") == "missing" else str(err.get("msg"))
        problems.append(FieldProblem(field=_field_name(tuple(err.get("loc", ()))), reason=reason))
    return problems


def install_problem_handlers(app: FastAPI) -> None:
    """Register the problem-details exception handlers on ``app``."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request,
            exc.status,
            exc.detail,
            slug=exc.slug,
            title=exc.title,
            errors=exc.errors,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        headers = dict(exc.headers) if exc.headers else None
        return problem_response(request, exc.status_code, detail, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_problems(exc)
        detail = "; ".join(f"{e.field}: {e.reason}" for e in errors[:5])
        return problem_response(
            request, 422, detail, slug="validation-error", title="Invalid request", errors=errors
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, 500, "internal error; quote the request id to support")
