"""``learnloop serve <service>``: run one platform service in the foreground (one per container).

FastAPI services (and the gateway, which mounts them all) run under uvicorn; RES and LPS run
under ``bentoml serve`` (the process is replaced by it, so signals reach the server directly).
All bind ``LEARNLOOP_API__HOST``/``LEARNLOOP_API__PORT`` unless ``--host``/``--port`` say
otherwise; RES also serves gRPC on ``LEARNLOOP_SERVING__GRPC_PORT``.

With ``security.tls_cert_file`` set, every one of them serves HTTPS only (RES and LPS through
their BentoML service config, see ``serving.bento.service_config``).

The helpers below also start RES / LPS as child processes (``learnloop up``, tests, benchmark).
BentoML binds its port before the service has loaded its models, so readiness is ``/readyz``
answering 200, not the port opening.
"""

from __future__ import annotations

import os
import ssl
import sys
import time
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import httpx
import typer

from learnloop.localstack import ManagedProcess
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
    settings: Settings, service: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Environment of a BentoML server: a home of its own (BentoML wipes the Prometheus folder
    of its home on start, so RES and LPS must not share one), no usage tracking."""
    env = dict(os.environ if base is None else base)
    home = Path(env.get("BENTOML_HOME") or settings.data_dir / "bentoml")
    env["BENTOML_HOME"] = str(home / service)
    env.setdefault("BENTOML_DO_NOT_TRACK", "true")
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    return env


def serving_process(
    service: str,
    settings: Settings,
    *,
    port: int,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
) -> ManagedProcess:
    """A ``bentoml serve`` child process of RES or LPS (not started yet)."""
    return ManagedProcess(
        service,
        bentoml_argv(service, host, port),
        port=port,
        log_path=log_path,
        env=bentoml_env(settings, service, env),
        startup_timeout=120,
    )


def wait_ready(
    process: ManagedProcess,
    url: str,
    *,
    timeout: float = 240.0,
    verify: ssl.SSLContext | bool = True,
) -> None:
    """Block until ``url``/readyz answers 200 (raise with the log tail if the process dies);
    ``verify``: how an https ``url`` is checked (``client_verify(settings)``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.running:
            raise RuntimeError(f"{process.name} stopped while starting:\n{process.log_tail()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2.0, verify=verify).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{process.name} not ready after {timeout:.0f}s:\n{process.log_tail()}")


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

    from learnloop.web.security_tls import uvicorn_tls_kwargs

    uvicorn.run(
        f"services.{service.value}.app:create_app",
        factory=True,
        host=host,
        port=port,
        access_log=False,  # learnloop logs one access line per request
        log_config=None,
        **uvicorn_tls_kwargs(settings),  # TLS when security.tls_cert_file is set
    )
