"""The shared resources of a running service process (one object, built from settings).

Locally the gateway runs every service in one process on one :class:`Platform`; in Kubernetes
each service builds its own. Resources that only one service uses (object store, progress
store, outbox relays) are added by that service's ``setup`` into ``resources``.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from learnloop.settings import Settings
from learnloop.web.security_crypto import bind_cipher, cipher_from_settings
from learnloop.web.security_tls import client_ssl_context, tls_enabled
from services.common.auth import TokenVerifier, identity_keys, token_verifier
from services.common.db import Database
from services.common.events import EventBus, InProcessEventBus
from services.common.keys import KeyStore
from services.common.privacy import pseudonymize

logger = logging.getLogger(__name__)
T = TypeVar("T")

PSEUDONYM_SECRET_FILE = "pseudonym.secret"  # noqa: S105 - a file name


def _pseudonym_secret(settings: Settings) -> bytes:
    configured = settings.auth.pseudonym_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    path = settings.key_dir / PSEUDONYM_SECRET_FILE
    if not path.exists():
        settings.key_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


@dataclass
class Platform:
    """Settings, database, event bus, signing keys and token verifier of one process."""

    settings: Settings
    db: Database
    bus: EventBus
    keys: KeyStore
    verifier: TokenVerifier
    pseudonym_secret: bytes
    http_transport: httpx.AsyncBaseTransport | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    on_start: list[Callable[[], object]] = field(default_factory=list)
    on_stop: list[Callable[[], object]] = field(default_factory=list)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        bus: EventBus | None = None,
        http_transport: httpx.AsyncBaseTransport | None = None,
    ) -> Platform:
        """Build the resources; nothing connects or starts until :meth:`start`."""
        keys = identity_keys(settings)
        verifier = token_verifier(settings, keys)
        db = Database(settings.sqlalchemy_url, settings.db)
        bind_cipher(db.engine, cipher_from_settings(settings))  # PII columns at rest
        return cls(
            settings=settings,
            db=db,
            bus=bus if bus is not None else default_bus(settings),
            keys=keys,
            verifier=verifier,
            pseudonym_secret=_pseudonym_secret(settings),
            http_transport=http_transport,
        )

    def pseudonym(self, subject_id: str) -> str:
        """Keyed pseudonym of a subject (same everywhere in this deployment)."""
        return pseudonymize(self.pseudonym_secret, subject_id)

    def resource(self, name: str, kind: type[T]) -> T:
        """A per-service resource registered by a service's setup."""
        value = self.resources[name]
        if not isinstance(value, kind):
            raise TypeError(f"resource {name!r} is {type(value).__name__}, not {kind.__name__}")
        return value

    def http_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """Client for calls to other services through the gateway's public API."""
        kwargs.setdefault("transport", self.http_transport)
        return self.peer_client(base_url=self.settings.api_base_url, **kwargs)

    def peer_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """Client for calls straight to another learnloop process by absolute URL (e.g. a feature
        consumer pod), verifying learnloop's TLS listeners against the configured CA."""
        if tls_enabled(self.settings):
            kwargs.setdefault("verify", client_ssl_context(self.settings))
        kwargs.setdefault("timeout", self.settings.auth.http_timeout_s)
        return httpx.AsyncClient(**kwargs)

    def start(self) -> None:
        """Ensure signing keys (not where tokens are verified with the issuer's JWKS: such a
        process never signs), run service start hooks, start consuming."""
        if not self.settings.auth.verify_with_jwks:
            self.keys.ensure()
        for hook in self.on_start:
            hook()
        self.bus.start()

    def stop(self) -> None:
        """Stop consuming, run stop hooks (newest first), close the database."""
        self.bus.stop()
        for hook in reversed(self.on_stop):
            try:
                hook()
            except Exception:
                logger.exception("stop hook failed")
        self.db.dispose()


def default_bus(settings: Settings) -> EventBus:
    """The Kafka bus when ``features.streaming`` is available, else in-process delivery."""
    try:
        from services.common.kafka_bus import KafkaEventBus
    except ImportError:
        logger.warning("features.streaming not available: events stay in this process")
        return InProcessEventBus()
    return KafkaEventBus(settings.kafka)
