"""Live traffic: simulated learners use the running platform through its public APIs.

Each step one learner asks RES for recommendations (course filter, recent history), answers
the top item — correctness drawn by :mod:`features.simulator` from the learner's true
knowledge — and the answer becomes a ``LearningEvent`` (with RES's experiment assignments and
propensity in its context) posted in batches to ``POST /events``. The platform does the rest
(lake, features, progress → mastery → the next RES answers); optionally each learner first asks
LPS for a path. Steps follow a fixed schedule of ``rate`` per second, so load tests can use it.

Catalog items map onto the simulator's world by curriculum position: the course's skills in
lesson order are spread over the simulator's skills in prerequisite-layer order, and an item
answers like a simulated item of its primary skill's image (stable per item id).
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from features.datasets.content_pack import ContentPack
from features.events import EventContext, EventObject, EventResult, LearningEvent, Verb
from features.simulator import LearnerSimulator, SimulatorConfig
from serving.content import course_slug


@dataclass(frozen=True)
class TrafficConfig:
    """What to drive and where."""

    api_url: str
    res_url: str
    lps_url: str | None
    course_id: str
    learners: int = 20
    rate: float = 5.0
    duration_s: float = 60.0
    k: int = 5
    seed: int = 0
    batch_interval_s: float = 0.5
    max_batch: int = 500
    verify: ssl.SSLContext | bool = True  # how https URLs are verified (client_verify)


@dataclass
class TrafficStats:
    """Running totals (shown live by ``learnloop simulate``)."""

    steps: int = 0
    correct: int = 0
    res_errors: int = 0
    res_degraded: int = 0
    res_latency_s: list[float] = field(default_factory=list)
    events_accepted: int = 0
    events_rejected: int = 0
    api_errors: int = 0
    api_throttled: int = 0
    paths: int = 0
    paths_degraded: int = 0
    path_errors: int = 0
    served_versions: dict[str, int] = field(default_factory=dict)

    def latency_ms(self, q: float) -> float:
        """A percentile of RES latency (ms; 0 before any answer)."""
        recent = self.res_latency_s[-5000:]
        return float(np.percentile(recent, q) * 1000) if recent else 0.0


class ItemMap:
    """Catalog items of one course → simulated items (see the module docstring)."""

    def __init__(self, pack_dir: Path, course_id: str, sim: LearnerSimulator) -> None:
        pack = ContentPack(pack_dir)
        course = next((c for c in pack.courses if course_slug(c.course) == course_id), None)
        if course is None:
            known = ", ".join(course_slug(c.course) for c in pack.courses)
            raise ValueError(f"unknown course {course_id!r}; known: {known}")
        lessons = [[o.skill for o in le.learning_objectives] for le in course.lessons]
        lessons = [skills for skills in lessons if skills]
        order = list(dict.fromkeys(s for skills in lessons for s in skills))
        self.goal = lessons[min(4, len(lessons) - 1)]  # a path goal a few lessons in
        n = len(sim.skills)
        self.skill_image = {
            s: sim.skills[min(n - 1, i * n // max(len(order), 1))] for i, s in enumerate(order)
        }
        self.by_sim_skill: dict[str, list[str]] = {}
        for item in sim.items:
            self.by_sim_skill.setdefault(item.skill_ids[0], []).append(item.id)
        self.all_items = [item.id for item in sim.items]

    def sim_item(self, item_id: str, skills: list[str]) -> str:
        """The simulated item a catalog item answers like."""
        image = next((self.skill_image[s] for s in skills if s in self.skill_image), None)
        pool = self.by_sim_skill.get(image or "", self.all_items)
        return pool[zlib.crc32(item_id.encode()) % len(pool)]


class TrafficDriver:
    """Runs :class:`TrafficConfig` against the platform; :attr:`stats` is live."""

    def __init__(self, config: TrafficConfig, pack_dir: Path) -> None:
        self.config = config
        self.sim = LearnerSimulator(SimulatorConfig(n_learners=config.learners, seed=config.seed))
        self.items = ItemMap(pack_dir, config.course_id, self.sim)
        self.learners = [f"sim-{config.seed}-{i:04d}" for i in range(config.learners)]
        self.history: dict[str, deque[str]] = {lr: deque(maxlen=10) for lr in self.learners}
        self.sessions = {lr: str(uuid.uuid4()) for lr in self.learners}
        self.stats = TrafficStats()
        self._outbox: list[LearningEvent] = []
        self._rng = random.Random(config.seed)  # noqa: S311 - simulated durations
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """End the run after the current step (events already made are still posted)."""
        self._stop.set()

    async def run(self) -> TrafficStats:
        """Drive until ``duration_s`` (0: until :meth:`stop`); returns the totals."""
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        client = httpx.AsyncClient(timeout=10.0, limits=limits, verify=self.config.verify)
        async with client:
            if self.config.lps_url:
                await asyncio.gather(*(self._plan(client, lr) for lr in self.learners))
            poster = asyncio.create_task(self._post_loop(client))
            steps: set[asyncio.Task[None]] = set()
            loop = asyncio.get_running_loop()
            start, n = loop.time(), 0
            end = start + self.config.duration_s if self.config.duration_s > 0 else float("inf")
            while not self._stop.is_set():
                due = start + n / self.config.rate
                if due >= end:
                    break
                await asyncio.sleep(max(0.0, due - loop.time()))
                task = asyncio.create_task(
                    self._step(client, self.learners[n % len(self.learners)])
                )
                steps.add(task)
                task.add_done_callback(steps.discard)
                n += 1
            await asyncio.gather(*steps)
            self._stop.set()
            await poster
        return self.stats

    async def _plan(self, client: httpx.AsyncClient, learner: str) -> None:
        body = {"learner_id": learner, "goal_skills": self.items.goal, "budget_minutes": 600}
        try:
            answer = await client.post(f"{self.config.lps_url}/paths", json=body)
        except httpx.HTTPError:
            self.stats.path_errors += 1
            return
        if answer.status_code != 201:
            self.stats.path_errors += 1
            return
        self.stats.paths += 1
        self.stats.paths_degraded += int(answer.json()["degraded"])

    async def _step(self, client: httpx.AsyncClient, learner: str) -> None:
        body = {
            "learner_id": learner,
            "k": self.config.k,
            "course_id": self.config.course_id,
            "history": list(self.history[learner]),
            "platform": "simulator",
        }
        started = time.perf_counter()
        try:
            answer = await client.post(f"{self.config.res_url}/recommendations", json=body)
        except httpx.HTTPError:
            self.stats.res_errors += 1
            return
        if answer.status_code != 200:
            self.stats.res_errors += 1
            return
        self.stats.res_latency_s.append(time.perf_counter() - started)
        data = answer.json()
        served = data["served"]
        self.stats.res_degraded += int(served["degraded"])
        version = f"{served['kt']['name']} v{served['kt']['version']}"
        self.stats.served_versions[version] = self.stats.served_versions.get(version, 0) + 1
        if not data["items"]:
            return
        item = data["items"][0]
        sim_learner = self.sim.learner_ids[self.learners.index(learner)]
        correct = self.sim.attempt(
            sim_learner, self.items.sim_item(item["item_id"], item["skills"])
        )
        self.stats.steps += 1
        self.stats.correct += int(correct)
        self.history[learner].append(item["item_id"])
        exposure = data["exposure"]
        context = EventContext(
            session_id=self.sessions[learner],
            platform="simulator",
            source="learnloop-simulate",
            experiments=exposure["experiments"],
            propensity=exposure["propensity"],
        )
        self._outbox.append(
            LearningEvent(
                learner_id=learner,
                timestamp=datetime.now(UTC),
                verb=Verb.ANSWERED,
                object=EventObject(
                    id=item["item_id"], type="exercise", course_id=self.config.course_id
                ),
                skill_ids=item["skills"],
                result=EventResult(
                    correct=correct, duration_s=round(self._rng.uniform(20, 120), 1)
                ),
                context=context,
            )
        )

    async def _post_loop(self, client: httpx.AsyncClient) -> None:
        while not self._stop.is_set() or self._outbox:
            await asyncio.sleep(self.config.batch_interval_s)
            while self._outbox:
                batch = self._outbox[: self.config.max_batch]
                wait = await self._post(client, batch)
                if wait is not None:
                    await asyncio.sleep(wait)
                    continue
                del self._outbox[: len(batch)]

    async def _post(self, client: httpx.AsyncClient, batch: list[LearningEvent]) -> float | None:
        """Post a batch; seconds to wait before retrying it, or None when it is done."""
        payload = [e.model_dump(mode="json", exclude_none=True) for e in batch]
        try:
            answer = await client.post(f"{self.config.api_url}/events", json=payload)
        except httpx.HTTPError:
            self.stats.api_errors += 1
            return 2.0
        if answer.status_code in (429, 503):
            self.stats.api_throttled += 1
            return float(answer.headers.get("retry-after", "2"))
        if answer.status_code == 202:
            body: dict[str, Any] = answer.json()
            self.stats.events_accepted += int(body["accepted"])
            self.stats.events_rejected += int(body["rejected"])
        else:
            self.stats.api_errors += 1
            self.stats.events_rejected += len(batch)
        return None
