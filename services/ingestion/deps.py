"""Dependencies of the ingestion routes: one service (and producer) per app, made on first use."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from features.streaming import EventProducer
from learnloop.settings import IngestSettings, get_settings
from services.ingestion.service import IngestionService

_lock = threading.Lock()


def ingestion_service(request: Request) -> IngestionService:
    """The app's :class:`IngestionService` (its producer is created lazily and shared)."""
    return service_for(request.app)


def service_for(app: FastAPI) -> IngestionService:
    """The :class:`IngestionService` of ``app``, created on first use."""
    state = app.state
    service = getattr(state, "ingestion_service", None)
    if service is None:
        with _lock:
            service = getattr(state, "ingestion_service", None)
            if service is None:
                settings = get_settings()
                producer = EventProducer(
                    settings.kafka,
                    delivery_timeout_s=settings.ingest.delivery_timeout_s,
                    linger_ms=2,
                    client_id="ingestion-api",
                )
                service = IngestionService(producer, settings.kafka.learning_event_topic)
                state.ingestion_service = service
    return service


def ingest_settings() -> IngestSettings:
    """The ingestion settings group."""
    return get_settings().ingest


IngestionServiceDep = Annotated[IngestionService, Depends(ingestion_service)]
IngestSettingsDep = Annotated[IngestSettings, Depends(ingest_settings)]
