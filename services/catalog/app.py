"""CCS as a service module, and standalone (``services.catalog.app:create_app``, factory)."""

from __future__ import annotations

import logging
import threading

from fastapi import FastAPI

from features.datasets.shipped import ensure_unpacked
from learnloop.settings import SHIPPED_DATA_DIR, Settings
from learnloop.web import ReadinessCheck
from services.catalog import deps
from services.catalog.importer import import_content_pack
from services.catalog.lti.routes import router as lti_router
from services.catalog.lti.tool import LtiTool
from services.catalog.objectstore import object_store_from_settings
from services.catalog.privacy import CatalogSubjectHandler
from services.catalog.routes import router as catalog_router
from services.common.app import ServiceModule, standalone_app
from services.common.events import EventBus
from services.common.keys import KeyStore
from services.common.platform import Platform
from services.common.privacy import subscribe_handler
from services.common.privacy_routes import privacy_router

logger = logging.getLogger(__name__)
SUBJECTS = "catalog.subjects"
CONTENT_STATUS = "catalog.content_status"


class ContentImportJob:
    """Imports the shipped content pack in the background on first start (idempotent)."""

    def __init__(self, platform: Platform):
        self.platform = platform
        self.done = threading.Event()
        self.error: str | None = None
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Import now (in the calling thread)."""
        try:
            settings = self.platform.settings
            root = settings.dataset_dir or ensure_unpacked(settings.datasets_path, SHIPPED_DATA_DIR)
            with self.platform.db.session() as session:
                report = import_content_pack(session, root / "content")
            if not report.skipped:
                logger.info(
                    "catalog: imported the content pack (%d courses, %d items) in %.1f s",
                    report.courses,
                    report.items,
                    report.seconds,
                )
        except Exception as exc:
            self.error = str(exc)
            logger.exception("catalog: content pack import failed")
        finally:
            self.done.set()

    def start(self) -> None:
        """Run in a background thread."""
        self._thread = threading.Thread(target=self.run, name="catalog-import", daemon=True)
        self._thread.start()


def setup(platform: Platform) -> None:
    """Object store, LTI tool, privacy handler and the first-start content import."""
    settings = platform.settings
    platform.resources[deps.OBJECT_STORE] = object_store_from_settings(settings)
    tool_keys = KeyStore(
        settings.key_dir / "lti",
        rotation_s=365 * 86_400,
        grace_s=30 * 86_400,
        managed=settings.auth.manage_keys,
    )
    platform.on_start.append(tool_keys.ensure)
    platform.resources[deps.LTI_TOOL] = LtiTool(
        base_url=settings.auth_issuer, keys=tool_keys, timeout_s=settings.auth.http_timeout_s
    )
    handler = CatalogSubjectHandler(platform.db)
    platform.resources[SUBJECTS] = handler
    subscribe_handler(platform.bus, handler)
    if settings.catalog.import_content_on_start:
        job = ContentImportJob(platform)
        platform.resources[CONTENT_STATUS] = job
        platform.on_start.append(job.start)


def checks(platform: Platform) -> list[ReadinessCheck]:
    """Ready once the first-start import has finished (when enabled)."""
    job = platform.resources.get(CONTENT_STATUS)
    if not isinstance(job, ContentImportJob):
        return []

    async def imported() -> bool:
        return job.done.is_set() and job.error is None

    return [ReadinessCheck("catalog_content", imported)]


MODULE = ServiceModule(
    name="catalog",
    routers=(catalog_router, privacy_router("/catalog", "catalog", SUBJECTS), lti_router),
    setup=setup,
    checks=checks,
)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    """The catalog service on its own (same paths as behind the gateway)."""
    return standalone_app(MODULE, settings, title="learnloop catalog", bus=bus)
