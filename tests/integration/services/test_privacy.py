"""GDPR/CCPA: export gathers every store; erasure fans out through an event to every store
(relational services, progress store, lake, feature store), is audited with pseudonyms only,
and afterwards nothing identifying the subject remains anywhere we can look."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from testkit.gateway_harness import Gateway

from features.events import EventObject, EventResult, LearningEvent, Verb
from features.lake import events_to_table
from services.common.data_platform import lake_of
from services.common.principal import Role

pytestmark = pytest.mark.integration


def _dump_database(gateway: Gateway) -> str:
    engine = gateway.platform.db.engine
    parts = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            parts.append(f"{table}: {[tuple(r) for r in rows]}")
    return "\n".join(parts)


def _active_learner(gateway: Gateway) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A learner (also an author) with attempts, answers, progress, authored content, lake rows."""
    name = f"Ada Lovelace-{uuid.uuid4().hex[:8]}"
    user_id, headers = gateway.make_user(Role.LEARNER, Role.INSTRUCTOR, name=name)
    course = gateway.client.post(
        "/catalog/courses", json={"title": "Number sense"}, headers=headers
    ).json()
    assessment = gateway.client.post(
        "/assessments",
        json={
            "title": "Doubling quiz",
            "items": [{"kind": "numeric", "prompt": "1+1", "value": 2, "skills": ["arithmetic"]}],
        },
        headers=headers,
    ).json()
    attempt = gateway.client.post(
        f"/assessments/{assessment['id']}/attempts", headers=headers
    ).json()
    answer = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/answers",
        json={"item_id": assessment["items"][0]["id"], "response": "2"},
        headers=headers,
    )
    assert answer.status_code == 201
    event = LearningEvent(
        learner_id=user_id,
        timestamp=datetime.now(UTC),
        verb=Verb.ANSWERED,
        object=EventObject(id="oat-x/1"),
        skill_ids=["arithmetic"],
        result=EventResult(correct=True),
    )
    other = event.model_copy(update={"learner_id": "someone-else", "event_id": uuid.uuid4()})
    lake_of(gateway.platform.settings).write_events(events_to_table([event, other]))
    return user_id, headers, {"course": course["id"], "assessment": assessment["id"], "name": name}


def test_export_contains_every_store(gateway: Gateway) -> None:
    user_id, headers, facts = _active_learner(gateway)
    export = gateway.client.get(f"/users/{user_id}/export", headers=headers)
    assert export.status_code == 200, export.text
    stores = export.json()["stores"]
    assert stores["users"]["profile"]["full_name"] == facts["name"]
    assert stores["users"]["sessions"]
    assert stores["assessments"]["attempts"][0]["responses"][0]["response"] == "2"
    assert facts["assessment"] in stores["assessments"]["authored_assessments"]
    assert stores["catalog"]["authored_courses"] == [facts["course"]]
    assert stores["progress"]["mastery"][0]["skill_id"] == "arithmetic"
    assert "lake" in export.json()["missing"]


def test_erasure_fans_out_and_nothing_identifying_remains(gateway: Gateway) -> None:
    user_id, headers, facts = _active_learner(gateway)
    email = gateway.users[user_id]
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    assert user_id in _dump_database(gateway)  # sanity: the check below can fail

    erased = gateway.client.delete(f"/users/{user_id}", headers=headers)
    assert erased.status_code == 202, erased.text
    request = gateway.client.get(
        f"/privacy/requests/{erased.json()['request_id']}", headers=admin
    ).json()
    stores = request["stores"]
    assert {"users", "catalog", "assessments", "progress", "lake", "feature_store"} <= set(stores)
    assert {k: s["status"] for k, s in stores.items()} == dict.fromkeys(stores, "done"), stores
    assert request["completed_at"] is not None
    assert stores["assessments"]["counts"]["attempts_deleted"] == 1
    assert stores["progress"]["counts"]["records_deleted"] >= 3
    assert stores["lake"]["counts"]["events_rows_deleted"] == 1

    dump = _dump_database(gateway)
    for identifying in (user_id, email, facts["name"], facts["name"].split("-")[1]):
        assert identifying not in dump, identifying
    pseudonym = request["subject"]
    assert pseudonym.startswith("pn-") and pseudonym in dump  # authored content and audit remain
    lake = lake_of(gateway.platform.settings)
    remaining = lake.read_events().column("learner_id").to_pylist()
    assert user_id not in remaining and "someone-else" in remaining

    audit = gateway.client.get("/audit", params={"subject_id": user_id}, headers=admin).json()[
        "data"
    ]
    actions = {e["action"] for e in audit}
    assert {"privacy.erasure_requested", "privacy.erasure_done"} <= actions
    assert {e["subject"] for e in audit} == {pseudonym}
    # the account is gone; its content stays, owned by the pseudonym
    assert gateway.client.get("/users/me", headers=headers).status_code == 404
    course = gateway.client.get(f"/catalog/courses/{facts['course']}")
    assert course.status_code == 200
    after = gateway.client.get(f"/users/{user_id}/export", headers=admin).json()["stores"]
    assert (
        after["users"] == {}
        and after["assessments"]["attempts"] == []
        and after["progress"]["mastery"] == []
    )


def test_erasure_is_idempotent_and_only_for_self_or_admin(gateway: Gateway) -> None:
    user_id, headers = gateway.make_user()
    _other, stranger = gateway.make_user()
    assert gateway.client.delete(f"/users/{user_id}", headers=stranger).status_code == 403
    assert gateway.client.delete(f"/users/{user_id}", headers=headers).status_code == 202
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    again = gateway.client.delete(f"/users/{user_id}", headers=admin)
    assert again.status_code == 404
    assert gateway.client.get(f"/privacy/requests/{uuid.uuid4()}", headers=admin).status_code == 404


def test_lake_files_stay_readable_after_erasure(gateway: Gateway, tmp_path: Path) -> None:
    user_id, headers, _ = _active_learner(gateway)
    gateway.client.delete(f"/users/{user_id}", headers=headers)
    table = lake_of(gateway.platform.settings).read_events()
    assert table.num_rows >= 1 and user_id not in table.column("learner_id").to_pylist()
