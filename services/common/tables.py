"""Every service's table metadata (for Alembic and schema checks only; services never share)."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from services.common.migrate import migrating_services


def all_metadata() -> list[MetaData]:
    """The ``MetaData`` of each service with migrations (``services.<name>.models.Base``)."""
    return [
        importlib.import_module(f"services.{name}.models").Base.metadata
        for name in migrating_services()
    ]
