"""``/healthz`` (process alive) and ``/readyz`` (dependencies reachable) endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel


@dataclass(frozen=True)
class ReadinessCheck:
    """A named async probe that returns True when its dependency is usable."""

    name: str
    probe: Callable[[], Awaitable[bool]]


class HealthStatus(BaseModel):
    """Health or readiness answer."""

    status: str
    checks: dict[str, bool] = {}


def health_router(checks: Sequence[ReadinessCheck] = ()) -> APIRouter:
    """Router with ``/healthz`` and ``/readyz`` (503 while any check fails)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", response_model=HealthStatus, summary="Liveness probe")
    async def healthz() -> HealthStatus:
        return HealthStatus(status="ok")

    @router.get("/readyz", response_model=HealthStatus, summary="Readiness probe")
    async def readyz() -> JSONResponse:
        results = {}
        for check in checks:
            try:
                results[check.name] = bool(await check.probe())
            except Exception:
                results[check.name] = False
        ready = all(results.values())
        body = HealthStatus(status="ready" if ready else "not ready", checks=results)
        return JSONResponse(body.model_dump(), status_code=200 if ready else 503)

    return router
