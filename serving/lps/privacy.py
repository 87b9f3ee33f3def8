"""LPS's stored learning paths in data-subject requests: export and erasure.

The gateway runs this handler: it reaches the path store through
``serving.lps_database_url`` (locally the LPS's SQLite file, in production its database),
serves the export at ``/learning-paths/privacy/subjects/{subject_id}`` (self or admin), which
``/users/{id}/export`` gathers, and erases on every ``DataSubjectRequest``. The export is
bounded: at most ``limit`` paths, with ``truncated`` when there are more.
"""

from __future__ import annotations

from typing import Any

from learnloop.settings import Settings
from services.common.app import ServiceModule
from services.common.platform import Platform
from services.common.privacy import subscribe_handler
from services.common.privacy_routes import privacy_router
from serving.lps.schemas import path_response
from serving.lps.store import PathStore

PATH_SUBJECTS = "serving.learning_path_subjects"
EXPORT_LIMIT = 1000


class PathSubjectHandler:
    """Exports and deletes a learner's learning paths with their re-plan logs."""

    store = "learning_paths"

    def __init__(self, settings: Settings, *, limit: int = EXPORT_LIMIT):
        self.settings = settings
        self.limit = limit
        self._paths: PathStore | None = None

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        stored = self._store().for_learner(subject_id, self.limit + 1, with_replans=True)
        rows = [path_response(p).model_dump(mode="json") for p in stored[: self.limit]]
        return {"paths": {"rows": rows, "truncated": len(stored) > self.limit}}

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        return self._store().forget_learner(subject_id)

    def _store(self) -> PathStore:
        if self._paths is None:
            self._paths = PathStore(self.settings.lps_database_url)
        return self._paths


def setup(platform: Platform) -> None:
    """Register the handler (export route) and subscribe it to erasure requests."""
    handler = PathSubjectHandler(platform.settings)
    platform.resources[PATH_SUBJECTS] = handler
    subscribe_handler(platform.bus, handler)


MODULE = ServiceModule(
    name="learning-paths-privacy",
    routers=(privacy_router("/learning-paths", "learning-paths", PATH_SUBJECTS),),
    setup=setup,
)
