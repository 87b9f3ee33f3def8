"""PTS as a service module, and standalone (``services.progress.app:create_app``, factory)."""

from __future__ import annotations

from anyio import to_thread
from fastapi import FastAPI

from features.datasets.shipped import ensure_unpacked
from features.events import ProgressUpdateEvent
from features.streaming import encode
from learnloop.settings import SHIPPED_DATA_DIR, Settings
from learnloop.web import ReadinessCheck
from services.common.app import ServiceModule, standalone_app
from services.common.aws import boto3_client
from services.common.events import EventBus
from services.common.platform import Platform
from services.common.privacy import subscribe_handler
from services.common.privacy_routes import privacy_router
from services.progress.deps import STORE, SUBJECTS, TRACKER
from services.progress.dynamo_store import DynamoProgressStore
from services.progress.privacy import ProgressSubjectHandler
from services.progress.routes import router
from services.progress.sql_store import SqlProgressStore
from services.progress.store import ProgressStore
from services.progress.tracker import MasteryTracker


def progress_store(platform: Platform) -> ProgressStore:
    """The configured progress store backend."""
    settings = platform.settings.progress
    if settings.backend == "sqlite":
        return SqlProgressStore(platform.db)
    client = boto3_client(
        "dynamodb",
        endpoint=settings.dynamodb_endpoint,
        region=settings.dynamodb_region,
        access_key=settings.aws_access_key,
        secret_key=settings.aws_secret_key,
    )
    store = DynamoProgressStore(client, settings.dynamodb_table)
    platform.on_start.insert(0, store.ensure_table)
    return store


def setup(platform: Platform) -> None:
    """Progress store, KT tracker consuming LearningEventStream, privacy handler."""
    settings = platform.settings
    store = progress_store(platform)
    platform.resources[STORE] = store
    kafka = settings.kafka

    def publish(update: ProgressUpdateEvent) -> None:
        message = encode(update, kafka.progress_update_topic)
        platform.bus.publish(message.topic, update.learner_id, message.value)

    content = settings.dataset_dir or ensure_unpacked(settings.datasets_path, SHIPPED_DATA_DIR)
    tracker = MasteryTracker.from_files(
        model_path=settings.progress.kt_model_path,
        default_dir=settings.data_dir / "models",
        content_dir=content / "content",
        store=store,
        publish=publish,
    )
    platform.resources[TRACKER] = tracker
    platform.bus.subscribe(
        kafka.learning_event_topic, settings.progress.consumer_group, tracker.handle
    )
    handler = ProgressSubjectHandler(store)
    platform.resources[SUBJECTS] = handler
    subscribe_handler(platform.bus, handler)


def checks(platform: Platform) -> list[ReadinessCheck]:
    """The progress store answers."""
    store: ProgressStore = platform.resources[STORE]

    async def ping() -> bool:
        return await to_thread.run_sync(store.ping)

    return [ReadinessCheck("progress_store", ping)]


MODULE = ServiceModule(
    name="progress",
    routers=(privacy_router("/progress", "progress", SUBJECTS), router),
    setup=setup,
    checks=checks,
)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    """The progress service on its own (same paths as behind the gateway)."""
    return standalone_app(MODULE, settings, title="learnloop progress", bus=bus)
