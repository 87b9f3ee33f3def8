"""Gateway ``POST /recommendations``: forwards to a real (stand-in) RES over HTTP; when RES is
stopped or slow it degrades (cached answer, else popular course items) and its breaker opens
and closes again."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from testkit.gateway_harness import Gateway

from learnloop.localstack import free_port
from learnloop.web.breaker import BreakerState
from services.common.principal import Role
from services.gateway.recommendations import DEGRADED, ResProxy

pytestmark = pytest.mark.integration

RESET_S = 1.0
FAILURES = 3


class StandInRes:
    """A tiny RES on a fixed port that can be stopped, restarted and slowed down."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.calls: list[dict[str, Any]] = []
        self.delay_s = 0.0
        self.app = FastAPI()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

        @self.app.post("/recommendations")
        async def recommend(request: Request) -> dict[str, Any]:
            body = await request.json()
            self.calls.append(body)
            await asyncio.sleep(self.delay_s)
            return {
                "learner_id": body["learner_id"],
                "items": [
                    {"item_id": f"res-{n}", "score": 1.0 - n / 10, "p_correct": 0.7}
                    | {"skills": ["s"], "reasons": []}
                    for n in range(body.get("k", 10))
                ],
                "served": {"arm": "control", "degraded": False},
                "exposure": {"experiments": {}, "propensity": 1.0},
            }

    def start(self) -> None:
        if self._server is not None:
            return
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        while not self._server.started:
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None


@pytest.fixture(scope="module")
def standin() -> Iterator[StandInRes]:
    res = StandInRes()
    yield res
    res.stop()


@pytest.fixture
def res(standin: StandInRes) -> Iterator[StandInRes]:
    """The stand-in, running and fast at the start of each test."""
    standin.delay_s = 0.0
    standin.start()
    yield standin
    standin.delay_s = 0.0


@pytest.fixture(scope="module")
def gateway(make_gateway: Callable[..., Gateway], standin: StandInRes) -> Gateway:
    serving = {
        "res_url": standin.url,
        "breaker_failures": FAILURES,
        "breaker_reset_s": RESET_S,
        "gateway_res_timeout_ms": 300,
    }
    return make_gateway(serving=serving)


@pytest.fixture(scope="module")
def course(gateway: Gateway) -> tuple[str, list[str]]:
    """A course with three items created out of position order; ids in catalog order."""
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    created = gateway.client.post(
        "/catalog/courses", json={"title": "Fallback Course"}, headers=instructor
    )
    course_id = created.json()["id"]
    ids: dict[int, str] = {}
    for position in (2, 0, 1):
        item = gateway.client.post(
            "/catalog/items",
            json={
                "title": f"Item {position}",
                "kind": "video",
                "url": f"https://videos.example/{position}.mp4",
                "course_id": course_id,
                "position": position,
                "skills": [f"skill-{position}"],
            },
            headers=instructor,
        )
        assert item.status_code == 201, item.text
        ids[position] = item.json()["id"]
    return course_id, [ids[p] for p in sorted(ids)]


def _proxy(gateway: Gateway) -> ResProxy:
    proxy: ResProxy = gateway.client.app.state.res_proxy
    return proxy


def _degraded(source: str) -> float:
    return float(DEGRADED.labels("res_unavailable", source)._value.get())


def test_forwards_then_degrades_to_cache_and_the_breaker_opens_and_closes(
    gateway: Gateway, res: StandInRes, course: tuple[str, list[str]]
) -> None:
    learner_id, headers = gateway.make_user()
    body = {"learner_id": learner_id, "k": 2, "course_id": course[0]}
    fresh = gateway.client.post("/recommendations", json=body, headers=headers)
    assert fresh.status_code == 200, fresh.text
    good = fresh.json()
    assert good["degraded"] is False and good["source"] == "res"
    assert [i["item_id"] for i in good["items"]] == ["res-0", "res-1"]
    assert res.calls[-1]["learner_id"] == learner_id and res.calls[-1]["course_id"] == course[0]
    breaker = _proxy(gateway).breaker
    assert breaker.state is BreakerState.CLOSED
    before = _degraded("cache")

    res.delay_s = 1.5  # slower than the gateway's 300 ms timeout: failure 1
    started = time.perf_counter()
    slow = gateway.client.post("/recommendations", json=body, headers=headers)
    assert time.perf_counter() - started < 1.2  # the timeout cut it short
    res.stop()  # failures 2 and 3: connection refused
    answers = [slow] + [
        gateway.client.post("/recommendations", json=body, headers=headers)
        for _ in range(FAILURES - 1)
    ]
    for answer in answers:
        assert answer.status_code == 200
        degraded = answer.json()
        assert (degraded["degraded"], degraded["reason"], degraded["source"]) == (
            True,
            "res_unavailable",
            "cache",
        )
        assert degraded["items"] == good["items"]
    assert breaker.state is BreakerState.OPEN
    assert _degraded("cache") - before == FAILURES

    res.delay_s = 0.0
    res.start()
    calls = len(res.calls)
    while_open = gateway.client.post("/recommendations", json=body, headers=headers)
    assert while_open.json()["degraded"] is True
    assert len(res.calls) == calls  # an open breaker sends nothing to RES

    time.sleep(RESET_S + 0.1)
    closed = gateway.client.post("/recommendations", json=body, headers=headers)
    assert closed.json()["degraded"] is False and closed.json()["source"] == "res"
    assert len(res.calls) == calls + 1
    assert breaker.state is BreakerState.CLOSED


def test_cold_learner_gets_popular_course_items(
    gateway: Gateway, res: StandInRes, course: tuple[str, list[str]]
) -> None:
    course_id, in_order = course
    res.stop()
    learner_id, headers = gateway.make_user()
    before = _degraded("popular")
    body = {"learner_id": learner_id, "k": 2, "course_id": course_id, "history": [in_order[0]]}
    answer = gateway.client.post("/recommendations", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert (data["degraded"], data["reason"], data["source"]) == (
        True,
        "res_unavailable",
        "popular",
    )
    assert [i["item_id"] for i in data["items"]] == in_order[1:]  # seen item skipped
    assert data["items"][0]["skills"] == ["skill-1"]
    assert _degraded("popular") - before == 1


def test_a_learner_may_not_ask_for_another_learner(gateway: Gateway, res: StandInRes) -> None:
    other_id, _ = gateway.make_user()
    _me, headers = gateway.make_user()
    calls = len(res.calls)
    answer = gateway.client.post("/recommendations", json={"learner_id": other_id}, headers=headers)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert len(res.calls) == calls
    anonymous = gateway.client.post("/recommendations", json={"learner_id": other_id})
    assert anonymous.status_code == 401


def test_without_history_res_gets_the_items_the_learner_answered_last(
    gateway: Gateway, res: StandInRes
) -> None:
    """Two steps of `oat-p1`, one of `oat-p2`, one question with no catalog item: RES gets
    each catalog item once, in the order of its latest answer; a history sent by the caller
    is forwarded as it is."""
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    refs = ["oat-p1/step-a", "oat-p2/step-a", "oat-p1/step-b", None]
    items = [
        {"kind": "single_choice", "prompt": f"Q{n}", "choices": ["a", "b"], "correct": 0}
        | ({"content_ref": ref} if ref else {})
        for n, ref in enumerate(refs)
    ]
    created = gateway.client.post(
        "/assessments", json={"title": "Warm-up", "items": items}, headers=instructor
    )
    assert created.status_code == 201, created.text
    learner_id, headers = gateway.make_user()
    body = {"learner_id": learner_id, "k": 2}
    gateway.client.post("/recommendations", json=body, headers=headers)
    assert res.calls[-1]["history"] == []  # nothing answered yet

    attempt = gateway.client.post(
        f"/assessments/{created.json()['id']}/attempts", headers=headers
    ).json()
    for item in created.json()["items"]:  # in order: p1, p2, p1 again, no catalog item
        answered = gateway.client.post(
            f"/assessments/attempts/{attempt['id']}/answers",
            json={"item_id": item["id"], "response": "0"},
            headers=headers,
        )
        assert answered.status_code == 201, answered.text
    answer = gateway.client.post("/recommendations", json=body, headers=headers)
    assert answer.status_code == 200 and answer.json()["source"] == "res"
    assert res.calls[-1]["history"] == ["oat-p2", "oat-p1"]

    own = {**body, "history": ["oat-p9"]}
    gateway.client.post("/recommendations", json=own, headers=headers)
    assert res.calls[-1]["history"] == ["oat-p9"]
