"""Alembic environment for every service's tables (one branch per service)."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool

from services.common.tables import all_metadata

config = context.config


def _target() -> list[MetaData]:
    """Every service's metadata, or one service's (``config.attributes["service"]``)."""
    service = config.attributes.get("service")
    if service is None:
        return all_metadata()
    return [importlib.import_module(f"services.{service}.models").Base.metadata]


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from learnloop.settings import get_settings

    return get_settings().sqlalchemy_url


def run_migrations_offline() -> None:
    """Emit SQL to stdout (``alembic upgrade heads --sql``)."""
    context.configure(
        url=_url(),
        target_metadata=_target(),
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live connection."""
    section = config.get_section(config.config_ini_section) or {}
    section["sqlalchemy.url"] = _url()
    connectable = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=_target(),
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
