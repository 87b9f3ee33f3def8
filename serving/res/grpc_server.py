"""RES's gRPC server (grpcio aio) next to its HTTP API, on the same event loop and runtime.

BentoML 1.4 services do not serve gRPC, so the service starts this server in its startup hook:
both protocols answer from one in-process model. Requests are validated with the HTTP models
(``INVALID_ARGUMENT`` names the field); ``UNAVAILABLE`` while the runtime starts.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from pydantic import ValidationError

from learnloop.web import ProblemError
from serving.metrics import GRPC_SERVER_REQUESTS, GRPC_SERVER_SECONDS
from serving.proto import recommender_pb2 as pb
from serving.proto import recommender_pb2_grpc as pb_grpc
from serving.res.http import check_request
from serving.res.runtime import ResRuntime, Served
from serving.res.schemas import RecommendationRequest
from serving.tracing import extract_context, tracer

SERVICE = "res"
Reply = TypeVar("Reply")
MAX_SCORE_IDS = 2000


def _observed(
    method: Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Reply]],
) -> Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Reply]]:
    """Span (continuing the caller's trace), latency and status-code metrics per call."""
    name = method.__name__

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Reply:
        started = time.perf_counter()
        code = "OK"
        parent = extract_context(context.invocation_metadata())
        with tracer().start_as_current_span(f"grpc {name}", context=parent):
            try:
                return await method(self, request, context)
            except BaseException:
                status = context.code()
                code = status.name if isinstance(status, grpc.StatusCode) else "UNKNOWN"
                raise
            finally:
                GRPC_SERVER_REQUESTS.labels(SERVICE, name, code).inc()
                GRPC_SERVER_SECONDS.labels(SERVICE, name).observe(time.perf_counter() - started)

    return wrapper


def _served(served: Served, propensity: float) -> pb.Served:
    message = pb.Served(
        kt=pb.ModelRef(name=served.kt.name, version=served.kt.version),
        arm=served.arm,
        experiments=served.experiments,
        propensity=propensity,
        degraded=served.degraded,
        cold_start=served.cold_start,
    )
    if served.rec is not None:
        message.rec.CopyFrom(pb.ModelRef(name=served.rec.name, version=served.rec.version))
    return message


def _invalid(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])


class RecommenderServicer(pb_grpc.RecommenderServicer):
    """Recommend and Score over the shared :class:`ResRuntime`."""

    def __init__(self, runtime: ResRuntime) -> None:
        self.runtime = runtime

    async def _ready(self, context: grpc.aio.ServicerContext) -> None:
        if not self.runtime.ready:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "RES is starting")

    @_observed
    async def Recommend(  # noqa: N802 - gRPC method name
        self, request: pb.RecommendRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecommendReply:
        await self._ready(context)
        try:
            body = RecommendationRequest(
                learner_id=request.learner_id,
                k=request.k or 10,
                course_id=request.course_id or None,
                content_types=list(request.content_types),
                skills=list(request.skills),
                history=list(request.history),
                exclude_seen=not request.include_seen,
                platform=request.platform or None,
            )
        except ValidationError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _invalid(exc))
        try:
            check_request(body, self.runtime)
        except ProblemError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, exc.detail)
        result = await self.runtime.recommend(body.query(), body.platform)
        return pb.RecommendReply(
            items=[
                pb.RecommendedItem(
                    item_id=r.item_id,
                    score=r.score,
                    p_correct=r.p_correct,
                    skills=list(r.skills),
                    reasons_json=json.dumps(r.reasons, separators=(",", ":")),
                )
                for r in result.items
            ],
            served=_served(result.served, result.propensity),
        )

    @_observed
    async def Score(  # noqa: N802 - gRPC method name
        self, request: pb.ScoreRequest, context: grpc.aio.ServicerContext
    ) -> pb.ScoreReply:
        await self._ready(context)
        try:
            RecommendationRequest(learner_id=request.learner_id)
        except ValidationError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _invalid(exc))
        if len(request.skills) + len(request.items) > MAX_SCORE_IDS:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"at most {MAX_SCORE_IDS} skills + items"
            )
        result = await self.runtime.score(
            request.learner_id, list(request.skills), list(request.items)
        )
        return pb.ScoreReply(
            skills=[
                pb.SkillMastery(skill_id=s, mastery=m, observed=o)
                for s, (m, o) in result.mastery.items()
            ],
            items=[pb.ItemScore(item_id=i, p_correct=p) for i, p in result.p_correct.items()],
            served=_served(result.served, 1.0),
        )


async def start_grpc_server(
    runtime: ResRuntime, address: str, credentials: grpc.ServerCredentials | None = None
) -> grpc.aio.Server:
    """Start serving ``Recommender`` on ``address`` (``host:port``) in the running loop
    (TLS with ``credentials``, see :func:`learnloop.web.security_tls.grpc_server_credentials`)."""
    server = grpc.aio.server(options=[("grpc.so_reuseport", 1)])
    pb_grpc.add_RecommenderServicer_to_server(RecommenderServicer(runtime), server)
    bound = (
        server.add_insecure_port(address)
        if credentials is None
        else server.add_secure_port(address, credentials)
    )
    if bound == 0:
        raise RuntimeError(f"cannot bind the gRPC server to {address}")
    await server.start()
    return server
