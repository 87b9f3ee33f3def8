"""Property-based API testing of the gateway's merged OpenAPI document with schemathesis:
generated requests (valid and invalid, as an admin) must never produce a 5xx, and every answer
must match the documented status codes, content types and schemas."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from testkit.gateway_harness import Gateway
from testkit.streaming import kafka_settings

from features.streaming import EventProducer
from learnloop.localstack import ManagedProcess
from services.common.principal import Role
from services.ingestion.service import IngestionService

pytestmark = pytest.mark.integration
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 6


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite: the API contract does not depend on the database (both run everywhere else)."""
    return f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'services.db'}"


@pytest.fixture(scope="module")
def fuzz_gateway(make_gateway: Callable[..., Gateway], broker: ManagedProcess) -> Iterator[Gateway]:
    """Every API, /events on the real broker and Stripe webhooks configured (none excluded)."""
    gateway = make_gateway(integrations={"stripe_webhook_secret": "whsec_fuzz_" + "x" * 24})
    kafka = kafka_settings(broker.port)
    producer = EventProducer(kafka, delivery_timeout_s=10.0)
    gateway.client.app.state.ingestion_service = IngestionService(  # type: ignore[attr-defined]
        producer, kafka.learning_event_topic
    )
    yield gateway
    producer.close()


@pytest.fixture(scope="module")
def admin(fuzz_gateway: Gateway) -> dict[str, str]:
    return fuzz_gateway.make_user(Role.ADMIN)[1]


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_no_server_errors_and_responses_match_the_schema(
    fuzz_gateway: Gateway, admin: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_gateway.client.app)
    failures, tested = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            tested += 1
            try:
                _run(operation, mode, admin)
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                continue
            except (Exception, BaseExceptionGroup) as exc:  # collect every failing operation
                failures.append(
                    f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}"
                )
    assert tested > 80
    assert not failures, "\n\n".join(failures)
