"""RES and LPS HTTP apps (what BentoML mounts) through Starlette's test client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from learnloop.settings import Settings
from serving.content import ContentIndex
from serving.lps.http import create_lps_app
from serving.lps.planning import PathService
from serving.lps.store import PathStore
from serving.res.http import create_res_app
from serving.res.runtime import ResRuntime
from serving.res.schemas import RecommendationResponse


@pytest.fixture(scope="module")
def res(tiny_settings: Settings, tiny_index: ContentIndex) -> Iterator[TestClient]:
    app = create_res_app()
    with TestClient(app) as client:
        assert client.post("/recommendations", json={"learner_id": "ada"}).status_code == 503
        runtime = ResRuntime(tiny_settings, tiny_index, features=None, source=None)
        runtime.start()
        app.state.runtime = runtime
        yield client


@pytest.fixture(scope="module")
def lps(
    tiny_settings: Settings, tiny_index: ContentIndex, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    app = create_lps_app()
    store = PathStore(f"sqlite:///{tmp_path_factory.mktemp('lps') / 'paths.db'}")
    app.state.paths = PathService(tiny_settings, tiny_index, store, None)
    with TestClient(app) as client:
        yield client


def test_recommendations_answer(res: TestClient) -> None:
    answer = res.post(
        "/recommendations", json={"learner_id": "ada", "k": 2, "course_id": "algebra-one"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert RecommendationResponse.model_validate(body).model_dump() == body  # the documented schema
    assert len(body["items"]) == 2 and body["items"][0]["item_id"].startswith("oat-p")
    assert body["served"]["kt"] == {"name": "content-pack-bkt", "version": "builtin"}
    assert body["served"]["degraded"] is False and body["served"]["cold_start"] is True
    assert body["exposure"] == {"experiments": {}, "propensity": 1.0}
    assert answer.headers["x-request-id"]
    assert res.get("/model").json()["catalog"] == {"items": 8, "skills": 5}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"learner_id": "ada", "k": 0}, "k"),
        ({"learner_id": "ada", "k": -3}, "k"),
        ({"learner_id": "ada", "k": 101}, "k"),
        ({"learner_id": "ada", "k": 10**6}, "k"),
        ({"learner_id": "not an id!"}, "learner_id"),
        ({"learner_id": "x" * 200}, "learner_id"),
        ({"k": 3}, "learner_id"),
        ({"learner_id": "ada", "course_id": "no-such-course"}, "course_id"),
        ({"learner_id": "ada", "content_types": ["podcast"]}, "content_types.0"),
        ({"learner_id": "ada", "surprise": 1}, "surprise"),
    ],
)
def test_bad_recommendation_requests_get_problem_bodies(
    res: TestClient,
    body: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    answer = res.post("/recommendations", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 422 and field in {e["field"] for e in problem["errors"]}


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[]"])
def test_missing_or_malformed_body_is_a_problem(res: TestClient, raw: bytes) -> None:
    answer = res.post("/recommendations", content=raw, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


def test_paths_are_planned_stored_and_listed(lps: TestClient) -> None:
    created = lps.post("/paths", json={"learner_id": "ada", "goal_skills": ["d"]})
    assert created.status_code == 201, created.text
    path = created.json()
    assert [s["skill"] for s in path["steps"]][-2:] == ["c", "d"]
    assert path["served"] == {"source": "prior", "degraded": ["res_not_configured"], "kt": None}
    assert path["degraded"] is True and path["version"] == 1 and path["reached_goals"] == ["d"]
    assert all(0 <= s["start_mastery"] < s["target_mastery"] <= 1 for s in path["steps"])
    again = lps.get(f"/paths/{path['path_id']}")
    assert again.json()["steps"] == path["steps"]
    listed = lps.get("/learners/ada/paths").json()["data"]
    assert path["path_id"] in {p["path_id"] for p in listed}
    course = lps.post("/paths", json={"learner_id": "ada", "course_id": "geometry"}).json()
    assert course["goals"] == ["g"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"learner_id": "ada"}, "goal_skills"),
        ({"learner_id": "ada", "goal_skills": ["d"], "course_id": "geometry"}, "goal_skills"),
        ({"learner_id": "ada", "goal_skills": ["nope"]}, "goal_skills"),
        ({"learner_id": "ada", "course_id": "nope"}, "course_id"),
        ({"learner_id": "ada", "goal_skills": ["d"], "budget_minutes": 0}, "budget_minutes"),
        ({"learner_id": "bad id", "goal_skills": ["d"]}, "learner_id"),
    ],
)
def test_bad_path_requests_get_problem_bodies(
    lps: TestClient,
    body: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    answer = lps.post("/paths", json=body)
    assert answer.status_code == 422, answer.text
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_unknown_path_is_404(lps: TestClient) -> None:
    answer = lps.get("/paths/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404 and answer.json()["status"] == 404
    assert lps.get("/paths/not-a-uuid").status_code == 422


def test_readiness_follows_what_the_worker_set(
    tiny_settings: Settings, tiny_index: ContentIndex, tmp_path: Path
) -> None:
    res_app, lps_app = create_res_app(), create_lps_app()
    with TestClient(res_app) as res, TestClient(lps_app) as lps:
        assert res.get("/readyz").json() == {"status": "not ready", "checks": {"models": False}}
        assert lps.get("/readyz").json() == {"status": "not ready", "checks": {"paths": False}}
        runtime = ResRuntime(tiny_settings, tiny_index, features=None, source=None)
        res_app.state.runtime = runtime
        assert res.get("/readyz").status_code == 503  # set but not started
        runtime.start()
        lps_app.state.paths = PathService(
            tiny_settings, tiny_index, PathStore(f"sqlite:///{tmp_path / 'paths.db'}"), None
        )
        assert res.get("/readyz").json() == {"status": "ready", "checks": {"models": True}}
        assert lps.get("/readyz").json() == {"status": "ready", "checks": {"paths": True}}
