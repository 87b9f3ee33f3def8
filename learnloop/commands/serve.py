"""``learnloop serve <service>``: run one platform service in the foreground (one per container).

FastAPI services (and the gateway, which mounts them all) run under uvicorn; RES and LPS run
under ``bentoml serve`` (the process is replaced by it, so signals reach the server directly).
All bind ``LEARNLOOP_API__HOST``/``LEARNLOOP_API__PORT`` unless ``--host``/``--port`` say
otherwise; RES also serves gRPC on ``LEARNLOOP_SERVING__GRPC_PORT``.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from learnloop.settings import REPO_ROOT, Settings, get_settings

BENTO_SERVICES = {"res": "serving.res.service:RES", "lps": "serving.lps.service:LPS"}


class Service(StrEnum):
    """What ``learnloop serve`` can run."""

    GATEWAY = "gateway"
    USERS = "users"
    CATALOG = "catalog"
    ASSESSMENTS = "assessments"
    PROGRESS = "progress"
    ANALYTICS = "analytics"
    NOTIFICATIONS = "notifications"
    INTEGRATIONS = "integrations"
    RES = "res"
    LPS = "lps"


def bentoml_argv(service: str, host: str, port: int) -> list[str]:
    """The ``bentoml serve`` command line of RES or LPS."""
    return [
        sys.executable,
        "-m",
        "bentoml",
        "serve",
        BENTO_SERVICES[service],
        "--host",
        host,
        "--port",
        str(port),
        "--working-dir",
        str(REPO_ROOT),
    ]


def bentoml_env(
    settings: Settings, service: str, base: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment of a BentoML server: a home of its own (BentoML wipes the Prometheus folder
    of its home on start, so RES and LPS must not share one), no usage tracking."""
    env = dict(os.environ if base is None else base)
    home = Path(env.get("BENTOML_HOME") or settings.data_dir / "bentoml")
    env["BENTOML_HOME"] = str(home / service)
    env.setdefault("BENTOML_DO_NOT_TRACK", "true")
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    return env


def serve(
    service: Annotated[Service, typer.Argument(help="The service to run.")],
    host: Annotated[str | None, typer.Option(help="Bind address (default api.host).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (default api.port).")] = None,
) -> None:
    """Run one service in the foreground (the container entry point)."""
    settings = get_settings()
    host = host or settings.api.host
    port = port or settings.api.port
    if service.value in BENTO_SERVICES:
        argv = bentoml_argv(service.value, host, port)
        os.execve(sys.executable, argv, bentoml_env(settings, service.value))  # noqa: S606
    import uvicorn

    uvicorn.run(
        f"services.{service.value}.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,  # learnloop logs one access line per request
        log_config=None,
    )
