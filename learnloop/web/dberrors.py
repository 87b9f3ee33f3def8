"""Database outages answer 503 + ``Retry-After`` with a problem body, never a 500 or a hang.

A lost or refused connection (server restarting, failover, network) surfaces from SQLAlchemy as
:class:`~sqlalchemy.exc.OperationalError` or a DBAPI error flagged ``connection_invalidated``; an
exhausted connection pool as :class:`~sqlalchemy.exc.TimeoutError` after ``pool_timeout``. All
of them are transient: the pool's pre-ping replaces dead connections on the next checkout, so
the service recovers by itself once the database is back.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc

from learnloop.web.problems import problem_response

logger = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER_S = 2


def is_unavailable(error: BaseException) -> bool:
    """True for errors that mean "the database is unreachable or saturated right now"."""
    if isinstance(error, exc.OperationalError | exc.TimeoutError):
        return True
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


def install_database_error_handlers(
    app: FastAPI, *, retry_after_s: int = DEFAULT_RETRY_AFTER_S
) -> None:
    """Map database outages to ``503 database-unavailable`` with ``Retry-After``."""

    async def _unavailable(request: Request, error: Exception) -> JSONResponse:
        if not is_unavailable(error):
            logger.exception("database error on %s %s", request.method, request.url.path)
            return problem_response(request, 500, "internal error; quote the request id to support")
        logger.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(error).__name__,
        )
        return problem_response(
            request,
            503,
            "the database is unavailable; retry after the interval in Retry-After",
            slug="database-unavailable",
            title="Database unavailable",
            headers={"Retry-After": str(retry_after_s)},
        )

    app.add_exception_handler(exc.DBAPIError, _unavailable)
    app.add_exception_handler(exc.TimeoutError, _unavailable)
