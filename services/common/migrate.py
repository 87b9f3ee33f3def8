"""Alembic migrations of every service, run from code (startup, tests, CLI) or ``alembic``.

One Alembic environment, one version branch per service (``users``, ``catalog``,
``assessments``, ``progress``, ...), each in ``services/<service>/migrations`` (found by
looking for those folders, so a new service only adds its own); ``upgrade heads`` brings every
service's tables up to date. ``alembic.ini`` at the repository root points here.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SERVICES_DIR = Path(__file__).resolve().parent.parent
SCRIPT_LOCATION = Path(__file__).resolve().parent / "alembic"


def migrating_services() -> list[str]:
    """Services with a ``migrations`` folder (each owns one Alembic branch)."""
    return sorted(p.parent.name for p in SERVICES_DIR.glob("*/migrations") if p.is_dir())


def version_locations() -> list[Path]:
    """Folders holding each service's revision files."""
    return [SERVICES_DIR / name / "migrations" for name in migrating_services()]


def alembic_config(url: str) -> Config:
    """An Alembic config for ``url`` without reading ``alembic.ini``."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("version_locations", " ".join(str(path) for path in version_locations()))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "heads") -> None:
    """Apply every pending migration (all service branches) to the database at ``url``."""
    command.upgrade(alembic_config(url), revision)


def downgrade_database(url: str, revision: str = "base") -> None:
    """Revert migrations (``base`` drops every service table)."""
    command.downgrade(alembic_config(url), revision)
