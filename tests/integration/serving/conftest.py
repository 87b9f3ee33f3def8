"""RES and LPS as real ``bentoml serve`` processes, started once for this package.

Around them: an MLflow registry (SQLite) holding a KT champion that knows part of the catalog's
skills and a popularity recommender over catalog items, Feast with a Redis online store of its
own (so a test can stop it), and the session's Kafka-protocol broker (ProgressUpdateEvent topic
of our own). Short breaker reset and reload intervals keep the fault tests quick.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from testkit.serving_env import serving_env

from features.events import LearningEvent
from features.feature_repo.aggregates import LearnerActivity, activity_rows
from learnloop.commands.serve import serving_process, wait_ready
from learnloop.localstack import ManagedProcess, free_port, start_redis
from learnloop.settings import Settings

KT_NAME, REC_NAME = "serving-test-kt", "serving-test-rec"


@dataclass
class Stack:
    """The started services and how to reach / restart them."""

    settings: Settings
    env: dict[str, str]
    workdir: Path
    res: ManagedProcess
    lps: ManagedProcess
    redis: ManagedProcess
    res_url: str
    lps_url: str
    grpc_address: str
    kt_skills: list[str]
    catalog_items: list[str]
    store: Any = None
    versions: list[str] = field(default_factory=list)

    def restart_res(self) -> None:
        self.res = serving_process(
            "res", self.settings, port=self.settings.serving.res_port,
            log_path=self.workdir / "res.log", env=self.env,
        ).start()  # fmt: skip
        wait_ready(self.res, self.res_url)

    def restart_redis(self) -> None:
        self.redis = start_redis(self.workdir, port=self.redis.port)

    def push_mastery(self, learner_id: str, mastery: dict[str, float]) -> None:
        import pandas as pd
        from feast.data_source import PushMode

        now = datetime.now(UTC)
        rows = [
            {
                "learner_id": learner_id,
                "skill_id": skill,
                "event_timestamp": now,
                "mastery": value,
                "mastery_model_version": "bkt@test",
            }
            for skill, value in mastery.items()
        ]
        self.store.push("skill_mastery_push", pd.DataFrame(rows), to=PushMode.ONLINE)

    def push_events(self, events: list[LearningEvent]) -> None:
        """The learners' activity rows as the feature consumer pushes them for ``events``."""
        import pandas as pd
        from feast.data_source import PushMode

        learners: dict[str, LearnerActivity] = {}
        for event in events:
            learners.setdefault(event.learner_id, LearnerActivity()).apply(event)
        rows = pd.DataFrame(activity_rows(learners))
        self.store.push("learner_activity_push", rows, to=PushMode.ONLINE)

    def register(self, *, p_correct: float) -> str:
        """A new KT + recommender version, made champion; returns the KT version."""
        version = register_version(
            self.settings, self.kt_skills, self.catalog_items, p_correct=p_correct
        )
        self.versions.append(version)
        return version

    def metrics(self, url: str) -> str:
        return httpx.get(f"{url}/metrics", timeout=10).text


def content_vocabulary(dataset_dir: Path) -> tuple[list[str], list[str]]:
    """Skills of the first course and catalog ids of some problems of the shipped pack."""
    courses = json.loads((dataset_dir / "content" / "courses.json").read_text())["courses"]
    algebra = next(c for c in courses if c["course"] == "OpenStax: College Algebra")
    skills = list(
        dict.fromkeys(o["skill"] for le in algebra["lessons"] for o in le["learning_objectives"])
    )
    items = [f"oat-{p}" for le in algebra["lessons"][:6] for p in le["problem_ids"]]
    return skills, items


def register_version(
    settings: Settings, skills: list[str], items: list[str], *, p_correct: float
) -> str:
    """Fit a BKT on synthetic answers over ``skills`` and a popularity recommender over
    ``items``, register both as new versions and move ``champion`` to them."""
    import mlflow

    from models.kt.base import InteractionSequence
    from models.kt.bkt import BKT
    from models.rec import make_recommender
    from pipelines.kt_data import Vocabulary
    from pipelines.registry.tracking import client, configure, experiment_id

    configure(settings)
    rng = np.random.default_rng(int(p_correct * 100))
    sequences = [
        InteractionSequence(rng.integers(1, 21, 40), (rng.random(40) < p_correct).astype(np.int8))
        for _ in range(60)
    ]
    folder = settings.data_dir / "to-register" / uuid.uuid4().hex
    (folder / "kt").mkdir(parents=True)
    BKT(seed=0, max_iter=10).fit(sequences, n_skills=len(skills)).save(folder / "kt" / "model.npz")
    Vocabulary(skills, []).save(folder / "kt" / "vocab.json")
    picks = [list(rng.choice(items, 5)) for _ in range(30)]
    make_recommender("popularity").fit(picks).save(folder / "rec")
    mlflow_client = client(settings)
    versions = []
    with mlflow.start_run(experiment_id=experiment_id(settings)) as run:
        mlflow.log_artifacts(str(folder / "kt"), "kt")
        mlflow.log_artifacts(str(folder / "rec"), "rec")
    for name, path in ((KT_NAME, "kt"), (REC_NAME, "rec")):
        if not mlflow_client.search_registered_models(f"name='{name}'"):
            mlflow_client.create_registered_model(name)
        source = f"{run.info.artifact_uri}/{path}"
        version = mlflow_client.create_model_version(name, source, run_id=run.info.run_id).version
        mlflow_client.set_registered_model_alias(name, "champion", str(version))
        versions.append(str(version))
    shutil.rmtree(folder)
    return versions[0]


@pytest.fixture(scope="package")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    dataset_dir: Path,
    broker: ManagedProcess,
    mlflow_db_template: Path,
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("serving")
    shutil.copy(mlflow_db_template, workdir / "mlflow.db")
    redis = start_redis(workdir)
    suffix = uuid.uuid4().hex[:8]
    ports = {name: free_port() for name in ("res", "lps", "grpc")}
    env = {
        **serving_env(workdir, dataset_dir, ports),
        "LEARNLOOP_MLFLOW__ARTIFACT_LOCATION": str(workdir / "artifacts"),
        "LEARNLOOP_MLFLOW__KT_MODEL_NAME": KT_NAME,
        "LEARNLOOP_MLFLOW__REC_MODEL_NAME": REC_NAME,
        "LEARNLOOP_FEATURES__ONLINE_STORE": "redis",
        "LEARNLOOP_FEATURES__REDIS_URL": f"127.0.0.1:{redis.port}",
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{broker.port}",
        "LEARNLOOP_KAFKA__PROGRESS_UPDATE_TOPIC": f"ProgressUpdateEvent-serving-{suffix}",
        "LEARNLOOP_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "LEARNLOOP_KAFKA__HEARTBEAT_INTERVAL_MS": "1000",
        "LEARNLOOP_SERVING__RELOAD_INTERVAL_S": "1",
        "LEARNLOOP_SERVING__BREAKER_FAILURES": "3",
        "LEARNLOOP_SERVING__BREAKER_RESET_S": "2",
        "LEARNLOOP_SERVING__REPLAN_GROUP": f"lps-replan-{suffix}",
    }
    settings = Settings(
        data_dir=workdir / "var",
        dataset_dir=dataset_dir,
        mlflow={
            "tracking_uri": env["LEARNLOOP_MLFLOW__TRACKING_URI"],
            "artifact_location": env["LEARNLOOP_MLFLOW__ARTIFACT_LOCATION"],
            "kt_model_name": KT_NAME,
            "rec_model_name": REC_NAME,
        },
        features={"online_store": "redis", "redis_url": env["LEARNLOOP_FEATURES__REDIS_URL"]},
        kafka={
            "bootstrap_servers": env["LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS"],
            "progress_update_topic": env["LEARNLOOP_KAFKA__PROGRESS_UPDATE_TOPIC"],
        },
        serving={"res_port": ports["res"], "lps_port": ports["lps"], "grpc_port": ports["grpc"]},
    )
    # LPS needs neither the registry nor Feast: start it while they are prepared
    processes: list[ManagedProcess] = [redis]
    try:
        lps = serving_process(
            "lps", settings, port=ports["lps"], log_path=workdir / "lps.log", env=env
        ).start()
        processes.append(lps)
        from features.feature_repo.store import apply, open_store
        from features.streaming import ensure_topics

        ensure_topics(settings.kafka)
        store = open_store(settings)
        apply(settings, store)
        skills, items = content_vocabulary(dataset_dir)
        kt_skills = skills[:60]
        first = register_version(settings, kt_skills, items, p_correct=0.8)
        res = serving_process(
            "res", settings, port=ports["res"], log_path=workdir / "res.log", env=env
        ).start()
        processes.append(res)
        started = Stack(
            settings=settings,
            env=env,
            workdir=workdir,
            res=res,
            lps=lps,
            redis=redis,
            res_url=f"http://127.0.0.1:{ports['res']}",
            lps_url=f"http://127.0.0.1:{ports['lps']}",
            grpc_address=f"127.0.0.1:{ports['grpc']}",
            kt_skills=kt_skills,
            catalog_items=items,
            store=store,
            versions=[first],
        )
        wait_ready(res, started.res_url)
        wait_ready(lps, started.lps_url)
        yield started
        processes += [started.res, started.redis]  # restarted ones
    finally:
        for process in processes:
            process.stop()


def poll(check: Any, *, timeout: float = 30.0, every: float = 0.2) -> Any:
    """Poll ``check()`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("condition not reached in time")


@pytest.fixture(scope="package")
def wait_until() -> Any:
    """``wait_until(check, timeout=...)``: poll until ``check()`` is truthy."""
    return poll
