"""Shared fixtures: shipped datasets, and real servers started once per test session.

Servers (tansu broker, moto S3, PostgreSQL, Redis) are started lazily by the first test that
asks for them, on free loopback ports, and stopped at the end of the session. They are the same
launchers ``learnloop up`` uses.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from features.datasets.shipped import ensure_unpacked
from learnloop.localstack import ManagedProcess, start_broker, start_postgres, start_redis, start_s3
from learnloop.settings import SHIPPED_DATA_DIR

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("BENTOML_DO_NOT_TRACK", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped datasets (kt/, content/) unpacked into a session temp folder."""
    return ensure_unpacked(tmp_path_factory.mktemp("datasets"), SHIPPED_DATA_DIR)


@pytest.fixture(scope="session")
def servers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Working folder (logs, data) of the session's servers."""
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def broker(servers_dir: Path) -> Iterator[ManagedProcess]:
    """A real Kafka-protocol broker (tansu, in-memory storage)."""
    with start_broker(servers_dir) as process:
        yield process


@pytest.fixture(scope="session")
def s3_server(servers_dir: Path) -> Iterator[ManagedProcess]:
    """moto's server: an S3/DynamoDB-compatible endpoint (credentials ``test``/``test``)."""
    with start_s3(servers_dir) as process:
        yield process


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ManagedProcess]:
    """A throwaway PostgreSQL cluster (user ``learnloop``, trust auth on loopback).

    Its folder lives outside pytest's root-only temp tree: PostgreSQL runs as ``postgres``.
    """
    workdir = Path(tempfile.mkdtemp(prefix="learnloop-pg-"))
    try:
        with start_postgres(workdir) as process:
            yield process
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(servers_dir: Path) -> Iterator[ManagedProcess]:
    """A throwaway redis-server without persistence."""
    with start_redis(servers_dir) as process:
        yield process


@pytest.fixture(scope="session")
def mlflow_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow SQLite database: copy it rather than migrating again (~15 s)."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path
