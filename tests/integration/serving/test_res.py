"""RES as a real BentoML process: answers, bad requests, probes, metrics, feature store down."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest

from features.events import EventObject, EventResult, LearningEvent, ObjectType, Verb
from serving.proto import recommender_pb2 as pb
from serving.proto import recommender_pb2_grpc as pb_grpc

pytestmark = [pytest.mark.integration, pytest.mark.slow]
COURSE = "openstax-college-algebra"


def recommend(stack: Any, **body: Any) -> dict[str, Any]:
    answer = httpx.post(f"{stack.res_url}/recommendations", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def grpc_recommend(stack: Any, request: pb.RecommendRequest) -> pb.RecommendReply:
    with grpc.insecure_channel(stack.grpc_address) as channel:
        return pb_grpc.RecommenderStub(channel).Recommend(request, timeout=10)


def metric(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_answers_follow_the_learners_online_mastery(stack: Any) -> None:
    cold = recommend(stack, learner_id=f"cold-{uuid.uuid4().hex[:8]}", k=5, course_id=COURSE)
    served = cold["served"]
    assert served["kt"] == {"name": "serving-test-kt", "version": stack.versions[-1]}
    assert served["rec"]["name"] == "serving-test-rec"
    assert served["cold_start"] and not served["degraded"] and served["arm"] == "champion"
    mastered = stack.kt_skills[:25]
    learner = f"warm-{uuid.uuid4().hex[:8]}"
    stack.push_mastery(learner, dict.fromkeys(mastered, 0.95))
    warm = recommend(stack, learner_id=learner, k=5, course_id=COURSE)
    assert not warm["served"]["cold_start"] and not warm["served"]["degraded"]
    assert {i["item_id"] for i in warm["items"]}.isdisjoint({i["item_id"] for i in cold["items"]})
    for item in warm["items"]:
        assert not set(item["skills"]) <= set(mastered), item  # something left to learn
        for reason in item["reasons"]:
            if reason["code"] == "prerequisites_met":
                assert set(reason["skills"]) <= set(mastered), item  # never a blocked item
    assert any(r["code"] == "prerequisites_met" for i in warm["items"] for r in i["reasons"])


def test_a_request_without_history_reads_the_learners_recent_items(stack: Any) -> None:
    learner = f"busy-{uuid.uuid4().hex[:8]}"
    stack.push_mastery(learner, dict.fromkeys(stack.kt_skills[:25], 0.95))
    first = [
        i["item_id"] for i in recommend(stack, learner_id=learner, k=5, course_id=COURSE)["items"]
    ]
    answered = first[:2]
    start = datetime.now(UTC) - timedelta(minutes=5)
    stack.push_events(
        [
            LearningEvent(
                learner_id=learner,
                timestamp=start + timedelta(minutes=i),
                verb=Verb.ANSWERED,
                object=EventObject(id=f"{item}/step-1", type=ObjectType.STEP),
                result=EventResult(correct=True),
            )
            for i, item in enumerate(answered)
        ]
    )
    later = recommend(stack, learner_id=learner, k=5, course_id=COURSE)
    ids = [i["item_id"] for i in later["items"]]
    assert not set(answered) & set(ids), (answered, ids)  # answered: not offered again
    explicit = recommend(stack, learner_id=learner, k=5, course_id=COURSE, history=answered)
    assert [i["item_id"] for i in explicit["items"]] == ids
    assert not later["served"]["degraded"]


def test_grpc_answers_like_http(stack: Any) -> None:
    learner = f"both-{uuid.uuid4().hex[:8]}"
    stack.push_mastery(learner, dict.fromkeys(stack.kt_skills[:10], 0.9))
    http = recommend(stack, learner_id=learner, k=4, course_id=COURSE)
    reply = grpc_recommend(stack, pb.RecommendRequest(learner_id=learner, k=4, course_id=COURSE))
    assert [i.item_id for i in reply.items] == [i["item_id"] for i in http["items"]]
    assert json.loads(reply.items[0].reasons_json) == http["items"][0]["reasons"]
    assert reply.served.kt.version == http["served"]["kt"]["version"]
    with pytest.raises(grpc.RpcError) as bad:
        grpc_recommend(stack, pb.RecommendRequest(learner_id="no spaces please", k=3))
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "learner_id" in (bad.value.details() or "")


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"learner_id": "ada", "k": 0}, "k"),
        ({"learner_id": "ada", "k": 1_000_000}, "k"),
        ({"learner_id": "ada <script>"}, "learner_id"),
        (None, "body"),
        ({"learner_id": "ada", "course_id": "underwater-basket-weaving"}, "course_id"),
    ],
)
def test_bad_requests_get_problem_bodies(stack: Any, content: Any, field: str) -> None:
    answer = httpx.post(f"{stack.res_url}/recommendations", json=content, timeout=10)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_probes_and_metrics(stack: Any) -> None:
    recommend(stack, learner_id="metrics-probe", k=3)
    for url in (stack.res_url, stack.lps_url):
        assert httpx.get(f"{url}/healthz").status_code == 200
        assert httpx.get(f"{url}/readyz").status_code == 200
    text = stack.metrics(stack.res_url)
    kt = stack.versions[-1]
    labels = {"service": "res", "model": "serving-test-kt", "arm": "champion"}
    assert metric(text, "learnloop_model_predictions_total", **labels)
    assert metric(text, "learnloop_model_inference_seconds_count", **labels)
    assert (
        metric(text, "learnloop_model_version_info", kind="kt", version=kt, alias="champion") == 1
    )
    assert metric(text, "learnloop_feature_lookup_seconds_count", store="redis", outcome="ok")
    assert metric(text, "learnloop_http_requests_total", service="res", route="/recommendations")
    assert re.search(r'learnloop_circuit_breaker_state\{.*target="feature_store"', text)


def test_feature_store_down_degrades_opens_the_breaker_and_recovers(
    stack: Any, wait_until: Any
) -> None:
    learner = f"redis-{uuid.uuid4().hex[:8]}"
    stack.redis.stop()
    try:
        for _ in range(5):
            answer = recommend(stack, learner_id=learner, k=3, course_id=COURSE)
            assert answer["served"]["degraded"] and answer["items"]
            assert answer["served"]["degraded_reasons"] == ["features_unavailable"]
        text = stack.metrics(stack.res_url)
        assert metric(text, "learnloop_circuit_breaker_state", target="feature_store") == 2
        assert metric(text, "learnloop_serving_degraded_total", reason="features_unavailable")
        assert metric(text, "learnloop_feature_lookup_seconds_count", outcome="skipped")
    finally:
        stack.restart_redis()
    wait_until(
        lambda: not recommend(stack, learner_id=learner, k=3)["served"]["degraded"], timeout=30
    )
    text = stack.metrics(stack.res_url)
    assert metric(text, "learnloop_circuit_breaker_state", target="feature_store") == 0
