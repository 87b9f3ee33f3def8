"""Typed settings for every learnloop component.

All configuration comes from ``LEARNLOOP_*`` environment variables (nested groups use ``__``,
e.g. ``LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS``) or a ``.env`` file. Nothing else in the code base
reads ``os.environ`` for learnloop configuration. Every path defaults to a folder under one data
directory (``LEARNLOOP_DATA_DIR``, default ``./var``) so a laptop install keeps all its state in
one place.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DATA_DIR = REPO_ROOT / "data"

Environment = Literal["development", "test", "production"]


class KafkaSettings(BaseModel):
    """Event bus. ``embedded`` makes the launcher start a local Kafka-protocol broker."""

    bootstrap_servers: str = "127.0.0.1:9092"
    embedded: bool = True
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_ca_location: Path | None = None
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    learning_event_topic: str = "LearningEventStream"
    progress_update_topic: str = "ProgressUpdateEvent"
    dead_letter_suffix: str = ".dlq"

    def client_config(self) -> dict[str, str]:
        """librdkafka configuration shared by producers, consumers and admin clients."""
        config = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            config["sasl.mechanism"] = self.sasl_mechanism
        if self.sasl_username:
            config["sasl.username"] = self.sasl_username
        if self.sasl_password:
            config["sasl.password"] = self.sasl_password.get_secret_value()
        if self.ssl_ca_location:
            config["ssl.ca.location"] = str(self.ssl_ca_location)
        return config


class LakeSettings(BaseModel):
    """Data lake location: a local folder (default ``<data_dir>/lake``) or ``s3://bucket/prefix``."""

    uri: str | None = None
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None


class ApiSettings(BaseModel):
    """HTTP listener of the gateway (all platform services mounted in one ASGI app locally)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list)


class Settings(BaseSettings):
    """Root settings object; obtain it with :func:`get_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="LEARNLOOP_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    env: Environment = "development"
    data_dir: Path = Path("var")
    dataset_dir: Path | None = Field(
        default=None,
        description="Folder with the knowledge-tracing folds (kt/) and the content pack "
        "(content/). Defaults to <data_dir>/datasets, unpacked from the archives shipped in data/.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True
    database_url: str | None = None

    api: ApiSettings = Field(default_factory=ApiSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    lake: LakeSettings = Field(default_factory=LakeSettings)

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        if self.dataset_dir is not None:
            self.dataset_dir = self.dataset_dir.expanduser().resolve()
        return self

    @property
    def datasets_path(self) -> Path:
        """Where datasets are read from (the override, or the unpacked shipped archives)."""
        return self.dataset_dir or self.data_dir / "datasets"

    @property
    def lake_uri(self) -> str:
        """Root of the data lake as a URI or local path."""
        return self.lake.uri or str(self.data_dir / "lake")

    @property
    def sqlalchemy_url(self) -> str:
        """Relational database URL (SQLite file under the data dir unless configured)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'learnloop.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
