from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from learnloop.settings import Settings


def test_defaults_keep_state_under_one_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.datasets_path == tmp_path / "datasets"
    assert settings.lake_uri == str(tmp_path / "lake")
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'learnloop.db'}"


def test_nested_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS", "broker:9093")
    monkeypatch.setenv("LEARNLOOP_KAFKA__SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("LEARNLOOP_KAFKA__SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("LEARNLOOP_LAKE__URI", "s3://lake/events")
    settings = Settings()
    config = settings.kafka.client_config()
    assert config["bootstrap.servers"] == "broker:9093"
    assert config["sasl.password"] == "s3cret"
    assert "s3cret" not in repr(settings)  # secrets are not printed
    assert settings.lake_uri == "s3://lake/events"


def test_invalid_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNLOOP_API__PORT", "99999")
    with pytest.raises(ValidationError, match=r"api\.port"):
        Settings()


@pytest.mark.parametrize(
    "uri",
    [None, "sqlite:////var/lib/learnloop/mlflow/mlflow.db", "file:///tmp/mlruns", "/mlruns"],
)
def test_production_refuses_a_registry_only_this_process_sees(
    uri: str | None, tmp_path: Path
) -> None:
    """A pod-local MLflow store in production would leave serving on its built-in models."""
    with pytest.raises(ValidationError, match=r"mlflow\.tracking_uri"):
        Settings(env="production", data_dir=tmp_path, mlflow={"tracking_uri": uri})


@pytest.mark.parametrize(
    "uri",
    [
        "https://mlflow.internal:5000",
        "databricks",
        "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/learnloop",
    ],
)
def test_production_accepts_a_shared_registry(uri: str, tmp_path: Path) -> None:
    settings = Settings(env="production", data_dir=tmp_path, mlflow={"tracking_uri": uri})
    assert settings.mlflow_tracking_uri == uri
    assert Settings(data_dir=tmp_path).mlflow_tracking_uri.startswith("sqlite:///")  # local
