"""End to end on real processes: broker + gateway (uvicorn) with the shipped content imported
on first start. register → login → browse the catalog → take an assessment built from catalog
exercises → progress shows updated mastery, computed by the progress consumer from Kafka →
RES recommendations change accordingly (feature consumer → Feast online store → RES, a real
``bentoml serve`` process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnloop.localstack import ManagedProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ADMIN_PASSWORD = "instructor password 123"


@pytest.fixture(scope="module")
def platform_env(
    broker: ManagedProcess, dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("e2e")
    port = free_port()
    suffix = uuid.uuid4().hex[:8]
    return {
        **os.environ,
        "LEARNLOOP_DATA_DIR": str(data_dir),
        "LEARNLOOP_DATASET_DIR": str(dataset_dir),
        "LEARNLOOP_API__PORT": str(port),
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{broker.port}",
        "LEARNLOOP_KAFKA__LEARNING_EVENT_TOPIC": f"LearningEventStream-e2e-{suffix}",
        "LEARNLOOP_KAFKA__PROGRESS_UPDATE_TOPIC": f"ProgressUpdateEvent-e2e-{suffix}",
        "LEARNLOOP_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "LEARNLOOP_KAFKA__HEARTBEAT_INTERVAL_MS": "1000",
        "LEARNLOOP_PROGRESS__CONSUMER_GROUP": f"progress-e2e-{suffix}",
        "LEARNLOOP_NEW_USER_PASSWORD": ADMIN_PASSWORD,
        "LEARNLOOP_INGEST__FEATURES_GROUP": f"features-e2e-{suffix}",
        "LEARNLOOP_SERVING__RES_PORT": str(free_port()),
        "LEARNLOOP_SERVING__GRPC_PORT": str(free_port()),
    }


@pytest.fixture(scope="module")
def platform_url(platform_env: dict[str, str]) -> Iterator[str]:
    env = platform_env
    data_dir = Path(env["LEARNLOOP_DATA_DIR"])
    port = int(env["LEARNLOOP_API__PORT"])
    created = subprocess.run(
        [
            sys.executable, "-m", "learnloop.cli", "users", "create",
            "--email", "teacher@example.com", "--role", "instructor",
        ],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    argv = [sys.executable, "-m", "uvicorn", "services.gateway.app:create_app", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    server = ManagedProcess(
        "gateway", argv, port=port, log_path=data_dir / "gateway.log", env=env, startup_timeout=180
    )
    with server:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while httpx.get(f"{url}/readyz").status_code != 200:  # content import finishing
            assert time.monotonic() < deadline, server.log_tail()
            assert server.running, server.log_tail()
            time.sleep(0.5)
        yield url


def _login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    answer = client.post("/auth/token", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _wait(check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise TimeoutError("not reached in time")


def _assessment_for(
    client: httpx.Client, teacher: dict[str, str], skill: str
) -> tuple[str, dict[str, Any]]:
    """An instructor's assessment from two catalog exercises of ``skill``: id and answer keys."""
    exercises = client.get("/catalog/items", params={"skill": skill, "limit": 2}).json()["data"]
    created = client.post(
        "/assessments/from-catalog",
        json={"title": f"Practice: {skill}", "item_ids": [e["id"] for e in exercises]},
        headers=teacher,
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], {i["id"]: i for i in created.json()["items"]}


def _new_learner(client: httpx.Client) -> dict[str, str]:
    email, password = f"learner-{uuid.uuid4().hex[:6]}@example.com", "learner password 123"
    registered = client.post(
        "/auth/register", json={"email": email, "password": password, "full_name": "Lee"}
    )
    assert registered.status_code == 201
    return _login(client, email, password)


def _answer_correctly(
    client: httpx.Client,
    learner: dict[str, str],
    attempt_id: str,
    items: list[Any],
    keys: dict[str, Any],
) -> None:
    for item in items:
        key = keys[item["id"]]["answer"]
        response = str(key["correct"]) if "correct" in key else key["accepted"][0]
        graded = client.post(
            f"/assessments/attempts/{attempt_id}/answers",
            json={"item_id": item["id"], "response": response},
            headers=learner,
        )
        assert graded.status_code == 201 and graded.json()["correct"], graded.text
    submitted = client.post(f"/assessments/attempts/{attempt_id}/submit", headers=learner).json()
    assert submitted["score"] == submitted["max_score"]


def _mastery(client: httpx.Client, learner: dict[str, str]) -> Any:
    skills = client.get("/progress/me", headers=learner).json()["skills"]
    return {s["skill_id"]: s for s in skills} if skills else None


def test_register_login_browse_assess_progress(platform_url: str) -> None:
    client = httpx.Client(base_url=platform_url, timeout=30)
    # the catalog holds the shipped content, with attribution
    courses = client.get("/catalog/courses", params={"q": "College Algebra"}).json()
    assert courses["data"][0]["title"] == "OpenStax: College Algebra"
    course_id = courses["data"][0]["id"]
    items = client.get("/catalog/items", params={"course_id": course_id, "limit": 30}).json()
    assert items["count"] > 1000 and "CC BY 4.0" in items["attribution"]

    # an instructor builds an assessment from two exercises of one skill
    teacher = _login(client, "teacher@example.com", ADMIN_PASSWORD)
    skill = items["data"][0]["skills"][0]
    assessment_id, keys = _assessment_for(client, teacher, skill)

    # a learner registers, logs in, finds it, takes it
    learner = _new_learner(client)
    listed = client.get("/assessments", headers=learner).json()["data"]
    assert assessment_id in {a["id"] for a in listed}
    attempt = client.post(f"/assessments/{assessment_id}/attempts", headers=learner).json()
    seen = client.get(f"/assessments/{assessment_id}", headers=learner).json()
    assert all(i["answer"] is None for i in seen["items"])
    first = seen["items"][0]
    if first["hint_count"]:
        hint = client.post(
            f"/assessments/attempts/{attempt['id']}/items/{first['id']}/hints", headers=learner
        )
        assert hint.status_code == 200 and hint.json()["index"] == 0
    _answer_correctly(client, learner, attempt["id"], seen["items"], keys)

    # progress: mastery rose above the prior, via Kafka and the progress consumer
    mastery = _wait(lambda: _mastery(client, learner))
    assert skill in mastery
    assert mastery[skill]["mastery"] > 0.5 and mastery[skill]["correct"] >= 1


@pytest.fixture(scope="module")
def res_url(platform_env: dict[str, str], platform_url: str) -> Iterator[str]:
    """RES (``bentoml serve``) and the feature consumer that feeds its online store, on the
    platform's topics and data dir."""
    from learnloop.commands.serve import serving_process, wait_ready
    from learnloop.settings import Settings

    env = platform_env
    data_dir = Path(env["LEARNLOOP_DATA_DIR"])
    metrics = free_port()
    consumer = ManagedProcess(
        "feature-consumer",
        [
            sys.executable,
            "-m",
            "learnloop.cli",
            "ingest",
            "features",
            "--metrics-port",
            str(metrics),
        ],
        port=metrics,
        log_path=data_dir / "features.log",
        env=env,
    )
    port = int(env["LEARNLOOP_SERVING__RES_PORT"])
    res = serving_process(
        "res", Settings(data_dir=data_dir), port=port, log_path=data_dir / "res.log", env=env
    )
    with consumer, res:
        url = f"http://127.0.0.1:{port}"
        wait_ready(res, url)
        yield url


def test_recommendations_change_with_mastery(platform_url: str, res_url: str) -> None:
    """A learner answers; progress → ProgressUpdateEvent → feature consumer → Feast → RES: the
    recommendations for that learner change and show the mastery progress computed."""
    client = httpx.Client(base_url=platform_url, timeout=30)
    courses = client.get("/catalog/courses", params={"q": "College Algebra"}).json()
    course_id = courses["data"][0]["id"]
    learner = _new_learner(client)
    learner_id = client.get("/auth/userinfo", headers=learner).json()["sub"]

    def recommend(skills: list[str]) -> dict[str, Any]:
        body = {"learner_id": learner_id, "k": 5, "course_id": course_id, "skills": skills}
        answer = httpx.post(f"{res_url}/recommendations", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def view_of(answer: dict[str, Any], skill: str) -> dict[str, Any]:
        reasons = [r for i in answer["items"] for r in i["reasons"] if r.get("skill") == skill]
        return {r["code"]: r for r in reasons}

    # a new learner: RES starts them on a skill of the course's first lesson
    cold = recommend([])
    assert cold["served"]["cold_start"] and cold["items"]
    skill = cold["items"][0]["skills"][0]
    before = recommend([skill])
    prior = view_of(before, skill)["new_skill"]["mastery"]
    teacher = _login(client, "teacher@example.com", ADMIN_PASSWORD)
    assessment_id, keys = _assessment_for(client, teacher, skill)

    attempt = client.post(f"/assessments/{assessment_id}/attempts", headers=learner).json()
    seen = client.get(f"/assessments/{assessment_id}", headers=learner).json()
    _answer_correctly(client, learner, attempt["id"], seen["items"], keys)
    mastery = _wait(lambda: _mastery(client, learner))[skill]["mastery"]
    assert mastery > prior

    def sees_new_mastery() -> dict[str, Any] | None:
        answer = recommend([skill])
        view = view_of(answer, skill)
        if "new_skill" in view:
            return answer if abs(view["new_skill"]["mastery"] - mastery) < 1e-3 else None
        return answer if "all_mastered" in view else None  # mastered: practice, not new

    after = _wait(sees_new_mastery, timeout=120)
    assert not after["served"]["cold_start"] and not after["served"]["degraded"]
    assert [(i["item_id"], i["score"]) for i in after["items"]] != [
        (i["item_id"], i["score"]) for i in before["items"]
    ]
