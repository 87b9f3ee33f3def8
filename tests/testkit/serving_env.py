"""Environment of RES / LPS test processes (``bentoml serve`` children)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def serving_env(workdir: Path, dataset_dir: Path, ports: Mapping[str, int]) -> dict[str, str]:
    """Data and BentoML home under ``workdir``, the MLflow registry in ``workdir/mlflow.db``
    (a copy of the migrated template), plain-text logs and the ``res``/``lps``/``grpc`` ports."""
    return {
        "LEARNLOOP_DATA_DIR": str(workdir / "var"),
        "LEARNLOOP_DATASET_DIR": str(dataset_dir),
        "LEARNLOOP_LOG_JSON": "false",
        "LEARNLOOP_MLFLOW__TRACKING_URI": f"sqlite:///{workdir / 'mlflow.db'}",
        "LEARNLOOP_SERVING__RES_PORT": str(ports["res"]),
        "LEARNLOOP_SERVING__LPS_PORT": str(ports["lps"]),
        "LEARNLOOP_SERVING__GRPC_PORT": str(ports["grpc"]),
        "BENTOML_HOME": str(workdir / "bentoml"),
    }
