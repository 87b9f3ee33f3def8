"""Data-scientist page: MLflow UI, champion per model with its metrics, latest drift report."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from services.common.principal import Role
from webapp.mlops import champions, latest_drift, mlflow_ui_url, report_path
from webapp.rendering import render
from webapp.session import User, platform_of, require

router = APIRouter()
Scientist = Annotated[User, require(Role.DATA_SCIENTIST)]


@router.get("/models")
async def models(request: Request, user: Scientist) -> Response:
    settings = platform_of(request).settings
    try:
        found = await to_thread.run_sync(champions, settings)
        registry_error = None
    except Exception as exc:  # the page still shows drift and links when MLflow fails
        found, registry_error = [], f"The model registry could not be read: {exc}"
    return render(
        request, "models.html", user=user, champions=found, registry_error=registry_error,
        mlflow_url=mlflow_ui_url(settings), drift=latest_drift(settings.drift_report_dir),
    )  # fmt: skip


@router.get("/reports/drift/{name}")
async def drift_report(request: Request, user: Scientist, name: str) -> Response:
    path = report_path(platform_of(request).settings.drift_report_dir, name)
    if path is None:
        return render(request, "error.html", user=user, status=404, title="No such report",
                      needed="", message=name)  # fmt: skip
    return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-store"})
