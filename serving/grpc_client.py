"""Calling RES over gRPC: per-try deadlines, retries with full-jitter backoff, a circuit breaker.

A call makes at most ``1 + retries`` tries, each with its own deadline; only transient codes
(``UNAVAILABLE``, ``DEADLINE_EXCEEDED``, ``RESOURCE_EXHAUSTED``, ``ABORTED``) are retried, after
``uniform(0, min(backoff_max, backoff_base * 2**try))``. A call that still fails counts against
the breaker; while it is open, calls fail at once with :class:`ResUnavailableError` so the
caller answers from its fallback without waiting.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import grpc

from serving.breaker import CircuitBreaker
from serving.metrics import GRPC_CLIENT_REQUESTS
from serving.proto import recommender_pb2 as pb
from serving.proto import recommender_pb2_grpc as pb_grpc
from serving.tracing import inject_metadata, tracer

RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)


class ResUnavailableError(RuntimeError):
    """RES could not answer (down, too slow, or the breaker is open)."""


class ResRejectedError(ValueError):
    """RES refused the request itself (``INVALID_ARGUMENT``): retrying cannot help."""


class ResClient:
    """Async client of RES's ``Recommender`` service (create inside a running event loop)."""

    def __init__(
        self,
        address: str,
        *,
        breaker: CircuitBreaker,
        deadline_s: float = 0.15,
        retries: int = 2,
        backoff_base_s: float = 0.02,
        backoff_max_s: float = 0.25,
        service: str = "lps",
        sleep: Callable[[float], Any] = asyncio.sleep,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self.address = address
        self.credentials = credentials
        self.breaker = breaker
        self.deadline_s = deadline_s
        self.retries = retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.service = service
        self._sleep = sleep
        self._channel: grpc.aio.Channel | None = None
        self._stub: pb_grpc.RecommenderStub | None = None

    def _connect(self) -> pb_grpc.RecommenderStub:
        if self._stub is None:
            options = [
                ("grpc.enable_retries", 0),  # retries are ours (jittered, breaker-aware)
                ("grpc.keepalive_time_ms", 30_000),
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 1000),
            ]
            self._channel = (
                grpc.aio.insecure_channel(self.address, options=options)
                if self.credentials is None
                else grpc.aio.secure_channel(self.address, self.credentials, options=options)
            )
            self._stub = pb_grpc.RecommenderStub(self._channel)
        return self._stub

    async def score(self, learner_id: str, skills: list[str], items: list[str]) -> pb.ScoreReply:
        """A learner's mastery of ``skills`` and P(correct) of ``items``."""
        request = pb.ScoreRequest(learner_id=learner_id, skills=skills, items=items)
        reply: pb.ScoreReply = await self._call("Score", request)
        return reply

    async def recommend(self, request: pb.RecommendRequest) -> pb.RecommendReply:
        """Top-k items (see ``recommender.proto``)."""
        reply: pb.RecommendReply = await self._call("Recommend", request)
        return reply

    async def _call(self, method: str, request: Any) -> Any:
        if not self.breaker.allow():
            GRPC_CLIENT_REQUESTS.labels(self.service, "res", method, "breaker_open").inc()
            raise ResUnavailableError("RES circuit breaker is open")
        call = getattr(self._connect(), method)
        last: grpc.aio.AioRpcError | None = None
        with tracer().start_as_current_span(f"grpc client {method}"):
            for attempt in range(self.retries + 1):
                if attempt:
                    cap = min(self.backoff_max_s, self.backoff_base_s * 2**attempt)
                    await self._sleep(random.uniform(0, cap))  # noqa: S311 - jitter, not crypto
                try:
                    reply = await call(request, timeout=self.deadline_s, metadata=inject_metadata())
                except grpc.aio.AioRpcError as exc:
                    last = exc
                    outcome = exc.code().name
                    GRPC_CLIENT_REQUESTS.labels(self.service, "res", method, outcome).inc()
                    if exc.code() not in RETRYABLE:
                        self.breaker.record_success()  # RES answered; the request was bad
                        raise ResRejectedError(exc.details() or outcome) from exc
                    continue
                except asyncio.CancelledError:
                    self.breaker.release()
                    raise
                GRPC_CLIENT_REQUESTS.labels(self.service, "res", method, "OK").inc()
                self.breaker.record_success()
                return reply
        self.breaker.record_failure()
        code = last.code().name if last is not None else "UNKNOWN"
        raise ResUnavailableError(f"RES {method} failed after {self.retries + 1} tries: {code}")

    async def close(self) -> None:
        """Close the channel."""
        if self._channel is not None:
            await self._channel.close()
            self._channel = self._stub = None
