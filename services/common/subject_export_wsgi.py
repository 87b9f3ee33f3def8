"""A worker's GDPR export of its own state, served beside its ``/metrics`` (WSGI).

In Kubernetes each partition slice of the feature consumer keeps its state on its own volume
(``security.consumer_state_erasure: consumer``), out of reach of the identity service that
assembles a subject's export. The slice therefore answers ``GET /privacy/subjects/{subject_id}``
on its metrics port itself, under the same rule as every service's export route
(``privacy:export``: the subject or an admin, by bearer token; :func:`rbac.authorize`), with
RFC 9457 problems for errors. ``GET /users/{id}/export`` reads it from every slice
(``security.consumer_state_export_url``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from learnloop.web.metrics_port import WSGIApp
from learnloop.web.problems import PROBLEM_MEDIA_TYPE, ProblemError, make_problem
from services.common.auth import AuthError, TokenVerifier
from services.common.deps import ID_MAX_LENGTH, ID_PATTERN, unauthorized
from services.common.principal import Principal
from services.common.privacy import SubjectDataHandler
from services.common.rbac import Action, authorize

EXPORT_PREFIX = "/privacy/subjects/"
_ID = re.compile(ID_PATTERN)


def subject_export_app(handler: SubjectDataHandler, verifier: TokenVerifier) -> WSGIApp:
    """WSGI app answering ``GET /privacy/subjects/{subject_id}`` with ``handler``'s export."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        try:
            subject = unquote(path.removeprefix(EXPORT_PREFIX))
            if not path.startswith(EXPORT_PREFIX) or not _valid_id(subject):
                raise ProblemError(404, f"no such resource: {path}", slug="not-found")
            if environ.get("REQUEST_METHOD") != "GET":
                raise ProblemError(405, "only GET is allowed here", headers={"Allow": "GET"})
            authorize(_principal(environ, verifier), Action.PRIVACY_EXPORT, subject)
            body = json.dumps(handler.export_subject(subject), default=str).encode()
            return _respond(start_response, 200, body, "application/json")
        except ProblemError as exc:
            problem = make_problem(
                exc.status, exc.detail, instance=path, slug=exc.slug, title=exc.title
            )
            body = problem.model_dump_json(exclude_none=True).encode()
            return _respond(start_response, exc.status, body, PROBLEM_MEDIA_TYPE, exc.headers)

    return app


def _valid_id(subject: str) -> bool:
    return 0 < len(subject) <= ID_MAX_LENGTH and _ID.match(subject) is not None


def _principal(environ: dict[str, Any], verifier: TokenVerifier) -> Principal:
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("missing bearer token")
    try:
        return verifier.verify(token.strip())
    except AuthError as exc:
        raise unauthorized(str(exc)) from None


def _respond(
    start_response: Callable[..., Any],
    status: int,
    body: bytes,
    media_type: str,
    headers: dict[str, str] | None = None,
) -> list[bytes]:
    start_response(
        f"{status} {HTTPStatus(status).phrase}",
        [
            ("Content-Type", media_type),
            ("Content-Length", str(len(body))),
            *(headers or {}).items(),
        ],
    )
    return [body]
