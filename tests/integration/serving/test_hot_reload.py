"""Moving the champion alias while RES is under HTTP and gRPC load drops no request."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest

from serving.proto import recommender_pb2 as pb
from serving.proto import recommender_pb2_grpc as pb_grpc

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass
class Outcome:
    protocol: str
    ok: bool
    version: str | None
    error: str | None = None


async def load(stack: Any, stop: threading.Event, out: list[Outcome], rate: float = 60.0) -> None:
    """HTTP and gRPC requests on a fixed schedule (every third one over gRPC)."""
    async with httpx.AsyncClient(base_url=stack.res_url, timeout=5) as client:
        channel = grpc.aio.insecure_channel(stack.grpc_address)
        stub = pb_grpc.RecommenderStub(channel)

        async def one(n: int) -> None:
            learner = f"load-{n % 50}"
            try:
                if n % 3 == 2:
                    reply = await stub.Recommend(
                        pb.RecommendRequest(learner_id=learner, k=5), timeout=5
                    )
                    out.append(Outcome("grpc", bool(reply.items), reply.served.kt.version))
                else:
                    answer = await client.post(
                        "/recommendations", json={"learner_id": learner, "k": 5}
                    )
                    body = answer.json()
                    version = body["served"]["kt"]["version"] if answer.is_success else None
                    out.append(Outcome("http", answer.status_code == 200, version, answer.text))
            except Exception as exc:  # every failure counts
                out.append(Outcome("grpc" if n % 3 == 2 else "http", False, None, repr(exc)))

        tasks = []
        started = time.perf_counter()
        n = 0
        while not stop.is_set():
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(one(n)))
            n += 1
        await asyncio.gather(*tasks)
        await channel.close()


def test_alias_move_under_load_drops_nothing(stack: Any, wait_until: Any) -> None:
    old = stack.versions[-1]
    results: list[Outcome] = []
    stop = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(load(stack, stop, results)))
    thread.start()
    try:
        time.sleep(1.5)
        new = stack.register(p_correct=0.35)
        wait_until(
            lambda: httpx.get(f"{stack.res_url}/model").json()["champion"]["kt"]["version"] == new,
            timeout=40,
        )
        time.sleep(1.5)
    finally:
        stop.set()
        thread.join(timeout=30)
    failures = [r for r in results if not r.ok]
    assert not failures, failures[:3]
    assert len(results) > 150
    served = [r.version for r in results]
    assert old in served and new in served
    assert served.index(new) > served.index(old)
    assert {r.protocol for r in results if r.version == new} == {"http", "grpc"}
