"""RES over gRPC in-process (real grpcio aio server and client on loopback)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from learnloop.localstack import free_port
from learnloop.settings import Settings
from serving.breaker import BreakerState, CircuitBreaker
from serving.content import ContentIndex
from serving.features import OnlineFeatures
from serving.grpc_client import ResClient, ResRejectedError, ResUnavailableError
from serving.proto import recommender_pb2 as pb
from serving.res.grpc_server import start_grpc_server
from serving.res.runtime import ResRuntime

SPANS = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def tracing() -> None:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(SPANS))


@pytest.fixture(scope="module")
def runtime(tiny_settings: Settings, tiny_index: ContentIndex) -> ResRuntime:
    rt = ResRuntime(tiny_settings, tiny_index, features=None, source=None)
    rt.start()
    return rt


def with_server(runtime: ResRuntime, body: Callable[[str], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        address = f"127.0.0.1:{free_port()}"
        server = await start_grpc_server(runtime, address)
        try:
            return await body(address)
        finally:
            await server.stop(grace=None)

    return asyncio.run(main())


def client(address: str, **kwargs: Any) -> ResClient:
    breaker = kwargs.pop("breaker", None) or CircuitBreaker("lps-test", address, failures=2)
    return ResClient(address, breaker=breaker, **kwargs)


def test_recommend_and_score_over_grpc(runtime: ResRuntime) -> None:
    async def body(address: str) -> tuple[pb.RecommendReply, pb.ScoreReply]:
        res = client(address)
        try:
            request = pb.RecommendRequest(learner_id="ada", k=2, course_id="algebra-one")
            return await res.recommend(request), await res.score("ada", ["a", "zz"], ["oat-p4"])
        finally:
            await res.close()

    SPANS.clear()
    recommended, scored = with_server(runtime, body)
    assert len(recommended.items) == 2 and recommended.items[0].item_id.startswith("oat-p")
    reasons = json.loads(recommended.items[0].reasons_json)
    assert any(r["code"] == "zpd" for r in reasons)
    assert recommended.served.kt.name == "content-pack-bkt" and recommended.served.propensity == 1.0
    assert not recommended.served.HasField("rec") and recommended.served.cold_start
    assert [(s.skill_id, round(s.mastery, 3), s.observed) for s in scored.skills] == [
        ("a", 0.1, False)
    ]
    assert scored.items[0].item_id == "oat-p4"
    client_spans = [s for s in SPANS.get_finished_spans() if s.name == "grpc client Recommend"]
    server_spans = [s for s in SPANS.get_finished_spans() if s.name == "grpc Recommend"]
    assert client_spans and server_spans
    assert server_spans[0].context.trace_id == client_spans[0].context.trace_id
    assert server_spans[0].parent is not None


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (pb.RecommendRequest(learner_id="bad id!", k=2), "learner_id"),
        (pb.RecommendRequest(learner_id="ada", k=-1), "k"),
        (pb.RecommendRequest(learner_id="ada", k=5000), "k"),
        (pb.RecommendRequest(learner_id="ada", course_id="nope"), "course_id"),
    ],
)
def test_bad_requests_are_invalid_argument_and_not_retried(
    runtime: ResRuntime, request_: pb.RecommendRequest, message: str
) -> None:
    async def body(address: str) -> None:
        breaker = CircuitBreaker("lps-test", f"bad-{address}", failures=1)
        res = client(address, breaker=breaker)
        with pytest.raises(ResRejectedError, match=message):
            await res.recommend(request_)
        assert breaker.state is BreakerState.CLOSED  # RES answered: not a failure of RES
        await res.close()

    with_server(runtime, body)


def test_down_server_retries_with_jitter_then_opens_the_breaker() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main() -> None:
        address = f"127.0.0.1:{free_port()}"  # nothing listens here
        breaker = CircuitBreaker("lps-test", f"down-{address}", failures=2, reset_s=60)
        res = client(address, breaker=breaker, retries=2, deadline_s=0.2, sleep=sleep)
        for _ in range(2):
            with pytest.raises(ResUnavailableError, match="after 3 tries"):
                await res.score("ada", ["a"], [])
        assert breaker.state is BreakerState.OPEN
        with pytest.raises(ResUnavailableError, match="breaker is open"):
            await res.score("ada", ["a"], [])
        await res.close()

    asyncio.run(main())
    assert len(slept) == 4  # two retries per call
    assert all(0 <= s <= 0.25 for s in slept)


def test_deadline_is_enforced(tiny_settings: Settings, tiny_index: ContentIndex) -> None:
    def slow_store(learner_id: str, skills: Any, with_activity: bool) -> Any:
        time.sleep(0.3)
        return None, {}, {}

    features = OnlineFeatures(
        lambda: slow_store,
        store="slow",
        breaker=CircuitBreaker("res-test", "slow", failures=100),
        timeout_s=2.0,
    )
    slow = ResRuntime(tiny_settings, tiny_index, features=features, source=None)
    slow.start()

    async def body(address: str) -> None:
        res = client(address, retries=0, deadline_s=0.05)
        started = time.perf_counter()
        with pytest.raises(ResUnavailableError, match="DEADLINE_EXCEEDED"):
            await res.score("ada", ["a"], [])
        assert time.perf_counter() - started < 0.25
        await res.close()

    with_server(slow, body)


def test_unavailable_while_starting(tiny_settings: Settings, tiny_index: ContentIndex) -> None:
    starting = ResRuntime(tiny_settings, tiny_index, features=None, source=None)  # not started

    async def body(address: str) -> None:
        res = client(address, retries=0)
        with pytest.raises(ResUnavailableError, match="UNAVAILABLE"):
            await res.recommend(pb.RecommendRequest(learner_id="ada"))
        await res.close()

    with_server(starting, body)
    assert grpc.StatusCode.UNAVAILABLE.name == "UNAVAILABLE"
