"""LPS as a BentoML service: ``bentoml serve serving.lps.service:LPS`` (or ``learnloop serve lps``).

HTTP API mounted as a FastAPI app (problem-details errors); BentoML serves ``/healthz``,
``/readyz`` and ``/metrics``. It calls RES over gRPC (``serving.res_grpc_address``) with
deadlines, jittered retries and a circuit breaker, stores paths in its own database and
re-plans them from ``ProgressUpdateEvent`` (``serving.replan_consumer``).
"""

from __future__ import annotations

import logging

import bentoml

from learnloop.settings import get_settings
from learnloop.web.security_tls import grpc_channel_credentials
from serving import heap
from serving.bento import prepare_worker, service_config
from serving.factory import breaker, content_index
from serving.grpc_client import ResClient
from serving.lps.http import create_lps_app
from serving.lps.planning import PathService
from serving.lps.replan import ReplanConsumer
from serving.lps.store import PathStore
from serving.tracing import use_bentoml_provider

logger = logging.getLogger(__name__)
app = create_lps_app()
_settings = get_settings()  # BentoML takes its service config at class definition


@bentoml.service(name="lps", **service_config(_settings))
@bentoml.asgi_app(app, path="/")
class LPS:
    """Learning path service."""

    def __init__(self) -> None:
        settings = get_settings()
        prepare_worker(settings)
        heap.watch("lps")
        self.settings = settings
        self.index = content_index(settings)
        self.store = PathStore(settings.lps_database_url)
        self.service: PathService | None = None
        self.replan: ReplanConsumer | None = None

    @bentoml.on_startup
    async def start_background(self) -> None:
        """The RES client (bound to the serving loop) and the re-plan consumer."""
        use_bentoml_provider()
        s = self.settings.serving
        client = ResClient(
            self.settings.res_grpc_address,
            breaker=breaker(self.settings, "lps", "res"),
            deadline_s=s.deadline_ms / 1000.0,
            retries=s.retries,
            backoff_base_s=s.backoff_base_ms / 1000.0,
            backoff_max_s=s.backoff_max_ms / 1000.0,
            credentials=grpc_channel_credentials(self.settings),
        )
        self.service = PathService(self.settings, self.index, self.store, client)
        if s.replan_consumer:
            self.replan = ReplanConsumer(self.settings, self.service)
            self.replan.start()
        app.state.paths = self.service
        heap.settle()
        logger.info("LPS calling RES at %s", self.settings.res_grpc_address)

    @bentoml.on_shutdown
    async def stop_background(self) -> None:
        """Stop the consumer (commits what was applied) and close the channel."""
        if self.replan is not None:
            self.replan.stop()
        if self.service is not None and self.service.res is not None:
            await self.service.res.close()

    def __is_ready__(self) -> bool:
        return self.service is not None
