"""``learnloop simulate``'s driver against the real RES and LPS processes; the events go to a
small ``POST /events`` receiver that validates them with the platform's event schema."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from features.events import LearningEvent, parse_learning_event
from learnloop.localstack import free_port
from learnloop.resources import datasets_dir
from serving.traffic import TrafficConfig, TrafficDriver

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, list[LearningEvent]]]:
    received: list[LearningEvent] = []
    app = FastAPI()

    @app.post("/events")
    async def events(request: Request) -> JSONResponse:
        batch = await request.json()
        parsed = [parse_learning_event(item) for item in batch]
        received.extend(parsed)
        return JSONResponse({"accepted": len(parsed), "rejected": 0}, status_code=202)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", received
    server.should_exit = True
    thread.join(timeout=10)


def test_simulated_learners_ask_res_answer_and_post_events(stack: Any, receiver: Any) -> None:
    url, received = receiver
    config = TrafficConfig(
        api_url=url,
        res_url=stack.res_url,
        lps_url=stack.lps_url,
        course_id="openstax-college-algebra",
        learners=4,
        rate=20.0,
        duration_s=3.0,
        batch_interval_s=0.3,
    )
    driver = TrafficDriver(config, datasets_dir(stack.settings) / "content")
    stats = asyncio.run(driver.run())
    assert stats.res_errors == 0 and stats.api_errors == 0
    assert stats.steps >= 40 and stats.events_accepted == stats.steps == len(received)
    assert stats.paths == 4 and stats.path_errors == 0
    assert 0 < stats.correct < stats.steps
    assert stats.latency_ms(50) > 0
    learners = {e.learner_id for e in received}
    assert learners == set(driver.learners)
    for event in received:
        assert event.verb.value == "answered" and event.result is not None
        assert event.object.id.startswith("oat-") and event.skill_ids
        assert event.context is not None and event.context.propensity == 1.0
        assert event.context.source == "learnloop-simulate"
    per_learner = [e.object.id for e in received if e.learner_id == driver.learners[0]]
    assert len(set(per_learner)) > 1  # RES moves the learner on (items already seen excluded)
