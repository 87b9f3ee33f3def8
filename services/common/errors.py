"""Domain errors raised by service logic; the API layer maps them to problem responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from learnloop.web.problems import FieldProblem, problem_response


class DomainError(Exception):
    """A request the domain refuses; ``field`` names the offending input when there is one."""

    status = 400
    slug = "bad-request"

    def __init__(
        self, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.headers = headers


class InvalidInputError(DomainError):
    """Semantically invalid input (well-formed but not acceptable)."""

    status = 422
    slug = "invalid-input"


class NotFoundError(DomainError):
    """The resource does not exist (or is not visible to the caller)."""

    status = 404
    slug = "not-found"


class ConflictError(DomainError):
    """The request conflicts with the current state (duplicate, wrong state)."""

    status = 409
    slug = "conflict"


class UnauthenticatedError(DomainError):
    """Credentials are missing or wrong."""

    status = 401
    slug = "unauthorized"


class ForbiddenError(DomainError):
    """Authenticated but not allowed."""

    status = 403
    slug = "forbidden"


class TooManyRequestsError(DomainError):
    """Throttled; ``retry_after`` seconds."""

    status = 429
    slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class PayloadTooLargeError(DomainError):
    """The upload exceeds the configured limit."""

    status = 413
    slug = "payload-too-large"


class UpstreamError(DomainError):
    """A remote system (LTI platform, feed) failed or answered nonsense."""

    status = 502
    slug = "upstream-error"


def install_domain_error_handler(app: FastAPI) -> None:
    """Answer :class:`DomainError` with a problem body naming the field."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        errors = [FieldProblem(field=exc.field, reason=exc.detail)] if exc.field else None
        return problem_response(
            request, exc.status, exc.detail, slug=exc.slug, errors=errors, headers=exc.headers
        )
