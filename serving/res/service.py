"""RES as a BentoML service: ``bentoml serve serving.res.service:RES`` (or ``learnloop serve res``).

The HTTP API is a FastAPI app mounted on the service (problem-details errors like every
learnloop service); BentoML serves ``/healthz`` (liveness), ``/readyz`` (``__is_ready__``) and
``/metrics`` (its registry and ours, multiprocess). The startup hook starts the gRPC server
(``serving.grpc_port``) on the same event loop and the registry poller (hot reload).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import bentoml
import grpc

from learnloop.settings import get_settings
from learnloop.web.security_tls import grpc_server_credentials
from serving import heap
from serving.bento import prepare_worker, service_config
from serving.factory import res_runtime
from serving.res.grpc_server import start_grpc_server
from serving.res.http import create_res_app
from serving.tracing import use_bentoml_provider

logger = logging.getLogger(__name__)
app = create_res_app()
_settings = get_settings()  # BentoML takes its service config at class definition


@bentoml.service(name="res", **service_config(_settings))
@bentoml.asgi_app(app, path="/")
class RES:
    """Recommendation service: HTTP and gRPC over one in-process model."""

    def __init__(self) -> None:
        settings = get_settings()
        prepare_worker(settings)
        heap.watch("res")
        self.settings = settings
        self.runtime = res_runtime(settings)
        self.runtime.start()
        app.state.runtime = self.runtime
        self._grpc: grpc.aio.Server | None = None
        self._reloader: asyncio.Task[None] | None = None

    @bentoml.on_startup
    async def start_background(self) -> None:
        """gRPC server and the hot-reload poller, on the serving event loop."""
        use_bentoml_provider()
        serving = self.settings.serving
        address = f"{serving.grpc_host or self.settings.api.host}:{serving.grpc_port}"
        self._grpc = await start_grpc_server(
            self.runtime, address, grpc_server_credentials(self.settings)
        )
        self._reloader = asyncio.create_task(self.runtime.run_reloader())
        heap.settle()
        logger.info("RES gRPC on %s; polling alias %r", address, serving.alias)

    @bentoml.on_shutdown
    async def stop_background(self) -> None:
        """Stop polling; let in-flight gRPC calls finish (2 s grace)."""
        if self._reloader is not None:
            self._reloader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reloader
        if self._grpc is not None:
            await self._grpc.stop(grace=2.0)
        if self.runtime.features is not None:
            self.runtime.features.close()

    def __is_ready__(self) -> bool:
        return self.runtime.ready
