"""Every service's table metadata (for Alembic and schema checks only; services never share)."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

SERVICE_MODELS = (
    "services.users.models",
    "services.catalog.models",
    "services.assessments.models",
    "services.progress.models",
)


def all_metadata() -> list[MetaData]:
    """The ``MetaData`` of each service, in migration-branch order."""
    return [importlib.import_module(name).Base.metadata for name in SERVICE_MODELS]
