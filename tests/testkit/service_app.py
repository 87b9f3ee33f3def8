"""Run service modules in a real FastAPI app on a temporary platform, with real access tokens."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import MetaData

from learnloop.settings import Settings
from services.common.app import ServiceModule, build_app
from services.common.events import InProcessEventBus
from services.common.platform import Platform
from services.users.tokens import AccessTokenIssuer


@dataclass
class ServiceHarness:
    """A started app, its platform and bus, and a token minter."""

    client: TestClient
    platform: Platform
    bus: InProcessEventBus
    issuer: AccessTokenIssuer

    def auth(self, subject: str, *roles: str) -> dict[str, str]:
        """``Authorization`` header of a fresh access token."""
        token = self.issuer.issue(subject=subject, roles=roles or ("learner",))
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def service_harness(
    modules: Sequence[ServiceModule],
    metadata: Iterable[MetaData],
    data_dir: Path,
    **settings: Any,
) -> Iterator[ServiceHarness]:
    """Build ``modules`` on a platform under ``data_dir`` (tables created from ``metadata``)."""
    config = Settings(data_dir=data_dir, env="test", **settings)
    bus = InProcessEventBus()
    platform = Platform.from_settings(config, bus=bus)
    for meta in metadata:
        meta.create_all(platform.db.engine)
    app = build_app(modules, platform, title="test", service="test", migrate=False)
    issuer = AccessTokenIssuer(
        keys=platform.keys,
        issuer=config.auth_issuer,
        audience=config.auth.audience,
        ttl_s=900,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ServiceHarness(client, platform, bus, issuer)
