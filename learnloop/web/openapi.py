"""OpenAPI details every service shares: problem+json error responses on every operation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from learnloop.web.problems import PROBLEM_MEDIA_TYPE, Problem

ERROR_STATUSES = {
    "400": "Bad request",
    "401": "Missing or invalid access token",
    "403": "Not allowed for the caller's role",
    "404": "Not found",
    "409": "Conflict with the current state",
    "413": "Payload too large",
    "422": "Invalid input (each bad field is named)",
    "429": "Rate limit exceeded (see Retry-After)",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting problem bodies for ``statuses``."""
    return {
        status: {
            "description": ERROR_STATUSES.get(str(status), "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
        }
        for status in statuses
    }


def _as_problem(response: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "description": response.get("description") or ERROR_STATUSES.get(status, "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}},
    }


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Make every 4xx response of ``schema`` a problem+json body; add 422/429 everywhere.

    FastAPI documents its validation errors as ``HTTPValidationError`` JSON; learnloop answers
    with RFC 9457 problems instead, so the document is rewritten to say what is really sent.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for nested, definition in components["Problem"].pop("$defs", {}).items():
        components.setdefault(nested, definition)
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status in list(responses):
                if status.startswith(("4", "5")):
                    responses[status] = _as_problem(responses[status], status)
            for status in ("422", "429"):
                responses.setdefault(status, _as_problem({}, status))
            if "requestBody" in operation:  # an unparsable body is answered with 400
                responses.setdefault("400", _as_problem({}, "400"))
            if operation.get("security"):
                for status in ("401", "403"):
                    responses.setdefault(status, _as_problem({}, status))
    return schema


def install_openapi(app: FastAPI, *, servers: list[dict[str, str]] | None = None) -> None:
    """Generate ``app``'s OpenAPI document once, with problem bodies documented."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                servers=servers,
            )
            app.openapi_schema = document_problems(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
