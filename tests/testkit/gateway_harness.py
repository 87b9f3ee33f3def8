"""A whole learnloop platform in one test app: settings, users and tokens for service tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from learnloop.settings import Settings
from services.common.events import EventBus
from services.common.platform import Platform
from services.common.principal import Role
from services.users import service as users_service
from services.users.deps import PASSWORDS
from services.users.schemas import UserCreate
from services.users.service import Passwords

PASSWORD = "correct horse battery staple"


def service_settings(
    data_dir: Path, database_url: str, dataset_dir: Path, **overrides: Any
) -> Settings:
    """Settings for a test platform: cheap password hashing, no first-start import."""
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "dataset_dir": dataset_dir,
        "database_url": database_url,
        "log_json": True,
        "auth": {"argon2_time_cost": 1, "argon2_memory_kib": 1024},
        "catalog": {"import_content_on_start": False},
        "rate_limit": {"enabled": False},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            values[key] = {**values[key], **value}
        else:
            values[key] = value
    return Settings(**values)


@dataclass
class Gateway:
    """A running gateway app with helpers to make users and headers."""

    client: TestClient
    platform: Platform
    bus: EventBus
    users: dict[str, str] = field(default_factory=dict)

    def make_user(self, *roles: Role, name: str = "Test User") -> tuple[str, dict[str, str]]:
        """Register a user (roles set directly in the store), log in; (user id, auth header)."""
        email = f"u{uuid.uuid4().hex[:10]}@example.com"
        passwords = self.platform.resource(PASSWORDS, Passwords)
        with self.platform.db.session() as session:
            user = users_service.create_user_with_roles(
                session,
                data=UserCreate(email=email, password=PASSWORD, full_name=name),
                roles=list(roles) or [Role.LEARNER],
                passwords=passwords,
            )
            user_id = user.id
        token = self.login(email)
        self.users[user_id] = email
        return user_id, {"Authorization": f"Bearer {token}"}

    def login(self, email: str, password: str = PASSWORD) -> str:
        """A fresh access token for a user."""
        answer = self.client.post("/auth/token", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])


@contextlib.contextmanager
def gateway_factory(
    database_url: str, dataset_dir: Path, new_dir: Callable[[], Path]
) -> Iterator[Callable[..., Gateway]]:
    """``make(bus=None, **settings overrides)``: started gateways on one database, each with
    its own data folder from ``new_dir``; all closed when the block ends."""
    from services.common.events import InProcessEventBus
    from services.gateway.app import create_gateway

    opened: list[TestClient] = []

    def make(bus: EventBus | None = None, **overrides: Any) -> Gateway:
        settings = service_settings(new_dir(), database_url, dataset_dir, **overrides)
        bus = bus or InProcessEventBus()
        app = create_gateway(settings, bus=bus)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return Gateway(client=client, platform=app.state.platform, bus=bus)

    try:
        yield make
    finally:
        for client in reversed(opened):
            client.__exit__(None, None, None)
