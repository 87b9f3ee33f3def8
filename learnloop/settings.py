"""Typed settings for every learnloop component.

All configuration comes from ``LEARNLOOP_*`` environment variables (nested groups use ``__``,
e.g. ``LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS``) or a ``.env`` file. Nothing else in the code base
reads ``os.environ`` for learnloop configuration. Every path defaults to a folder under one data
directory (``LEARNLOOP_DATA_DIR``, default ``./var``) so a laptop install keeps all its state in
one place.
"""

from __future__ import annotations

import string
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DATA_DIR = REPO_ROOT / "data"

Environment = Literal["development", "test", "production"]
SigningAlgorithm = Literal["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
_RS256: SigningAlgorithm = "RS256"


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
    dead_letter_partitions: int = Field(default=1, ge=1)
    session_timeout_ms: int = Field(default=10_000, ge=1000)
    heartbeat_interval_ms: int = Field(default=3000, ge=100)
    idempotent_producer: bool = Field(
        default=True,
        description="enable.idempotence; turn off for tansu with s3 storage (loses acked "
        "messages across a restart with it on); consumers dedupe on event_id either way.",
    )

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


class IngestSettings(BaseModel):
    """Event ingestion: the HTTP endpoint and the lake / feature consumers."""

    delivery_timeout_s: float = Field(
        default=5.0, gt=0, description="API waits this long for acks."
    )
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After when the broker is down.")
    max_batch: int = Field(default=1000, ge=1, description="Most events per POST /events.")
    batch_size: int = Field(default=5000, ge=1, description="Consumer batch (messages).")
    flush_interval_s: float = Field(default=1.0, gt=0, description="Longest wait before a flush.")
    sink_group: str = "learnloop-lake-sink"
    progress_sink_group: str = "learnloop-progress-sink"
    features_group: str = "learnloop-feature-consumer"
    features_instances: int = Field(
        default=1,
        ge=1,
        description="Feature-consumer processes that split the topics' partitions between them "
        "(partition p goes to instance p mod this), each keeping the state of its own slice on its "
        "own disk; 1: a single process (or processes sharing <state_path>) in one consumer group. "
        "Changing it re-slices the partitions: each instance rebuilds its slice from the retained "
        "topics (infra/README.md).",
    )
    features_instance: int | None = Field(
        default=None,
        ge=0,
        description="This process's slice, 0..features_instances-1 (Kubernetes: the StatefulSet "
        "pod index). Required when features_instances > 1.",
    )
    compact_min_files: int = Field(default=16, ge=2, description="Compact a partition at this.")
    dedupe_cache_entries: int = Field(default=256, ge=1, description="(day, shard) id sets kept.")
    dedupe_window_days: int = Field(default=7, ge=1, description="Feature consumer id memory.")
    state_dir: Path | None = Field(default=None, description="Consumer state; <data_dir>/state.")
    metrics_port: int | None = Field(default=None, description="Prometheus port of consumers.")

    @model_validator(mode="after")
    def _instance_in_range(self) -> IngestSettings:
        index = self.features_instance
        if index is not None and index >= self.features_instances:
            raise ValueError(
                f"ingest.features_instance ({index}) must be below ingest.features_instances "
                f"({self.features_instances})"
            )
        return self


class DatabaseSettings(BaseModel):
    """Connection pool of the relational database (PostgreSQL; SQLite ignores the pool sizes)."""

    pool_size: int = Field(default=10, ge=1, description="Connections kept open per process.")
    max_overflow: int = Field(default=20, ge=0, description="Extra connections under bursts.")
    pool_timeout_s: float = Field(
        default=5.0, gt=0, description="Wait for a free connection before answering 503."
    )
    connect_timeout_s: int = Field(default=3, ge=1, description="TCP/handshake timeout.")
    retry_after_s: int = Field(
        default=2, ge=1, description="Retry-After of a 503 when the database is unavailable."
    )


class FeatureStoreSettings(BaseModel):
    """Feast feature store: SQLite online + file offline locally, Redis online in production."""

    project: str = "learnloop"
    repo_path: Path | None = Field(default=None, description="Rendered repo; <data_dir>/feast.")
    online_store: Literal["sqlite", "redis"] = "sqlite"
    redis_url: str = "127.0.0.1:6379"
    offline_path: Path | None = Field(
        default=None, description="Feature tables; <data_dir>/features."
    )


class ApiSettings(BaseModel):
    """HTTP listener of the gateway (all platform services mounted in one ASGI app locally)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    cors_origins: list[str] = Field(default_factory=list)


PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "secret", "password"})
Role = Literal["learner", "instructor", "data_scientist", "admin"]


class ExternalIssuerSettings(BaseModel):
    """A trusted external OIDC issuer (Cognito, Okta, corporate SSO), found by discovery."""

    issuer: str = Field(min_length=1, description="Exact ``iss`` claim of its tokens.")
    audience: str = Field(min_length=1, description="Required ``aud`` (the client id).")
    discovery_url: str | None = Field(
        default=None, description="Defaults to <issuer>/.well-known/openid-configuration."
    )
    roles_claim: str = Field(default="roles", description="Claim with groups, e.g. cognito:groups.")
    role_map: dict[str, Role] = Field(
        default_factory=dict, description="External group -> learnloop role."
    )
    default_role: Role = "learner"
    algorithms: list[SigningAlgorithm] = Field(default_factory=lambda: [_RS256])


def _shared_registry(uri: str | None) -> bool:
    """Whether an MLflow tracking URI names a registry other hosts can reach."""
    return bool(uri) and str(uri).startswith(("http://", "https://", "databricks", "arn:aws"))


class AuthSettings(BaseModel):
    """Identity: the built-in OIDC-compatible issuer and trusted external issuers."""

    issuer: str | None = Field(default=None, description="Defaults to the API base URL.")
    audience: str = "learnloop-api"
    access_token_ttl_s: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=300)
    key_dir: Path | None = Field(default=None, description="Signing keys; <data_dir>/keys.")
    key_rotation_days: int = Field(default=30, ge=1)
    manage_keys: bool = Field(
        default=True,
        description="Create and rotate the signing keys in <key_dir> (identity/: the token "
        "issuer, lti/: the LTI tool) on one host, or in a folder every replica shares. False: "
        "the keys are provided there (mounted secrets, rotated by their owner): they are only "
        "read, the newest signs, a start without one fails and rotation through the API or CLI "
        "is refused.",
    )
    external_issuers: list[ExternalIssuerSettings] = Field(default_factory=list)
    verify_with_jwks: bool = Field(
        default=False,
        description="Verify learnloop's own tokens with the issuer's published JWKS instead of "
        "the key dir (services deployed apart from the identity service).",
    )
    jwks_cache_s: int = Field(default=300, ge=0)
    http_timeout_s: float = Field(default=5.0, gt=0)
    pseudonym_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key for pseudonyms (GDPR erasure, audit log); generated into the key "
        "dir on first start when unset.",
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="RFC 9106 low-memory: 3.")
    argon2_memory_kib: int = Field(default=65_536, ge=8, description="RFC 9106 low-memory: 64 MiB.")


class RateLimitSettings(BaseModel):
    """Gateway rate limits (token buckets): per client IP and per authenticated user."""

    enabled: bool = True
    per_ip_per_minute: int = Field(default=600, ge=1)
    per_user_per_minute: int = Field(default=300, ge=1)
    login_failures_per_15min: int = Field(default=10, ge=1)
    backend: Literal["memory", "redis"] = "memory"
    redis_url: str | None = None
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Peers whose X-Forwarded-For is believed."
    )


class ProgressSettings(BaseModel):
    """Progress store (per-learner, per-skill mastery): relational table or DynamoDB."""

    backend: Literal["sqlite", "dynamodb"] = "sqlite"
    dynamodb_endpoint: str | None = None
    dynamodb_region: str = "us-east-1"
    dynamodb_table: str = "learnloop-progress"
    aws_access_key: SecretStr | None = None
    aws_secret_key: SecretStr | None = None
    consumer_group: str = "progress-tracking"
    kt_model_path: Path | None = Field(
        default=None,
        description="Champion KT model file (models.kt format); default: BKT with the "
        "content pack's per-skill parameters.",
    )


class CatalogSettings(BaseModel):
    """Content catalog: object store for assets and the first-start content import."""

    object_store_uri: str | None = Field(
        default=None, description="Local folder (default <data_dir>/objects) or s3://bucket/prefix."
    )
    s3_endpoint: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    import_content_on_start: bool = True
    max_upload_mb: int = Field(default=200, ge=1)
    cache_max_age_s: int = Field(default=60, ge=0)


class ExperimentSettings(BaseModel):
    """A/B experiments: where definitions live and where reports are written."""

    dir: Path | None = Field(default=None, description="Definitions; <data_dir>/experiments.")
    reports_dir: Path | None = Field(default=None, description="HTML reports; <data_dir>/reports.")


class NotificationSettings(BaseModel):
    """Notification delivery: retries with exponential backoff, e-mail transport, signing."""

    max_attempts: int = Field(default=6, ge=1, description="Then the delivery is dead-lettered.")
    backoff_base_s: float = Field(default=2.0, gt=0, description="Delay after the 1st failure.")
    backoff_max_s: float = Field(default=3600.0, gt=0)
    poll_interval_s: float = Field(default=1.0, gt=0)
    http_timeout_s: float = Field(default=5.0, gt=0)
    smtp_host: str | None = Field(default=None, description="None: write .eml files locally.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_dir: Path | None = Field(default=None, description="Local mail drop; <data_dir>/mail.")
    mail_from: str = "learnloop <no-reply@learnloop.local>"
    signing_secret: SecretStr | None = Field(
        default=None, description="HMAC key of webhook signatures and unsubscribe links."
    )


class IntegrationSettings(BaseModel):
    """Payments (Stripe webhooks) and CRM / marketing-automation outbound webhooks."""

    stripe_webhook_secret: SecretStr | None = None
    stripe_tolerance_s: int = Field(default=300, ge=1, description="Max webhook age.")
    crm_webhook_url: str | None = None
    crm_webhook_secret: SecretStr | None = None


class MlflowSettings(BaseModel):
    """Experiment tracking and model registry (MLflow): local SQLite by default, or a server."""

    tracking_uri: str | None = Field(
        default=None, description="Default sqlite:///<data_dir>/mlflow/mlflow.db; or http(s)://."
    )
    artifact_location: str | None = Field(
        default=None, description="Run artifacts of new experiments; <data_dir>/mlflow/artifacts."
    )
    experiment: str = "learnloop-training"
    kt_model_name: str = Field(default="learnloop-kt", description="Registered KT model.")
    rec_model_name: str = Field(default="learnloop-rec", description="Registered recommender.")
    ui: bool = Field(default=False, description="`learnloop up` also starts the MLflow UI.")
    ui_port: int = Field(default=5000, ge=1, le=65535)


class PipelineSettings(BaseModel):
    """Training pipeline: artifact folder, quick mode, registry gate."""

    artifact_root: Path | None = Field(default=None, description="Outputs; <data_dir>/pipeline.")
    params_file: Path | None = Field(
        default=None, description="Hyper-parameters (DVC params); default <repo>/params.yaml."
    )
    quick: bool = Field(default=False, description="Quick mode: small sample, fast models.")
    quick_max_learners: int | None = Field(
        default=None, ge=10, description="Learner sample of quick runs (None: all)."
    )
    quick_kt_models: list[str] = Field(default_factory=lambda: ["bkt"])
    quick_rec_models: list[str] = Field(default_factory=lambda: ["popularity", "transitions"])
    auc_tolerance: float = Field(
        default=0.005, ge=0, description="Challenger AUC may trail the champion's by this."
    )
    recall_tolerance: float = Field(default=0.01, ge=0, description="Same for recall@k.")
    min_auc: float = Field(default=0.6, ge=0, le=1, description="Bar for a first champion.")
    latency_budget_ms: float = Field(
        default=50.0, gt=0, description="p99 of one online KT update + prediction."
    )
    bootstrap_on_up: bool = Field(
        default=True, description="`learnloop up` trains a quick champion when none exists."
    )
    retrain_target: Literal["local", "sagemaker"] = "local"


class DriftSettings(BaseModel):
    """Drift monitor thresholds and outputs."""

    window_days: int = Field(default=7, ge=1, description="Recent lake window (days).")
    psi_threshold: float = Field(default=0.2, gt=0, description="Feature PSI breach.")
    ks_threshold: float = Field(default=0.15, gt=0, le=1, description="Feature KS breach.")
    prediction_psi_threshold: float = Field(default=0.2, gt=0)
    auc_drop_threshold: float = Field(
        default=0.05, gt=0, description="Champion AUC drop (reference - window) breach."
    )
    min_rows: int = Field(default=200, ge=1, description="Fewer window rows: no verdict.")
    reference_rows: int = Field(default=50_000, ge=100, description="Reference sample size.")
    report_dir: Path | None = Field(default=None, description="HTML reports; <data_dir>/reports.")
    pushgateway_url: str | None = Field(default=None, description="Push gauges here if set.")
    retrain_on_breach: bool = True


class SageMakerSettings(BaseModel):
    """SageMaker Pipelines target of ``learnloop pipeline deploy --target sagemaker``."""

    region: str = "us-east-1"
    role_arn: str | None = None
    bucket: str | None = Field(default=None, description="S3 bucket of pipeline artifacts.")
    prefix: str = "sagemaker/learnloop"
    pipeline_name: str = "learnloop-training"
    image_uri: str = Field(
        default="123456789012.dkr.ecr.us-east-1.amazonaws.com/learnloop:latest",
        description="The learnloop image (infra/docker/Dockerfile) in ECR.",
    )
    processing_instance_type: str = "ml.m5.xlarge"
    training_instance_type: str = "ml.m5.2xlarge"
    inference_instance_type: str = "ml.m5.large"
    model_package_group: str = "learnloop-kt"


class GraphSettings(BaseModel):
    """Skill prerequisite graph: a networkx file (local default) or Neo4j."""

    backend: Literal["networkx", "neo4j"] = "networkx"
    path: Path | None = Field(default=None, description="<data_dir>/graph/skills.json if unset.")
    neo4j_uri: str | None = Field(
        default=None, description="e.g. neo4j+s://xxxx.databases.neo4j.io"
    )
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = Field(default=None, description="Default: the server's default.")


class ServingSettings(BaseModel):
    """Model serving: RES (recommendations) and LPS (learning paths), gRPC between them."""

    res_port: int = Field(default=3000, ge=1, le=65535, description="RES HTTP port (local).")
    lps_port: int = Field(default=3001, ge=1, le=65535, description="LPS HTTP port (local).")
    grpc_port: int = Field(default=50051, ge=1, le=65535, description="RES gRPC listen port.")
    grpc_host: str | None = Field(default=None, description="gRPC bind host; default api.host.")
    res_url: str | None = Field(default=None, description="RES base URL; local default.")
    lps_url: str | None = Field(default=None, description="LPS base URL; local default.")
    res_grpc_address: str | None = Field(
        default=None, description="host:port LPS calls RES at; default 127.0.0.1:<grpc_port>."
    )
    workers: int = Field(default=1, ge=1, le=64, description="BentoML worker processes.")
    alias: str = Field(default="champion", description="Registry alias served.")
    reload_interval_s: float = Field(
        default=10.0, gt=0, description="Hot reload: how often the alias is polled."
    )
    deadline_ms: float = Field(default=150.0, gt=0, description="LPS → RES gRPC per-try deadline.")
    retries: int = Field(default=2, ge=0, le=10, description="Retries after a failed try.")
    backoff_base_ms: float = Field(default=20.0, gt=0, description="First retry backoff.")
    backoff_max_ms: float = Field(default=250.0, gt=0)
    breaker_failures: int = Field(
        default=5, ge=1, description="Consecutive failures that open a circuit breaker."
    )
    breaker_reset_s: float = Field(
        default=5.0, gt=0, description="Open breaker: seconds before one trial call (half-open)."
    )
    gateway_res_timeout_ms: float = Field(
        default=300.0, gt=0, description="Gateway → RES HTTP timeout; then a degraded answer."
    )
    feature_timeout_ms: float = Field(
        default=60.0, gt=0, description="Online feature lookup budget; then defaults (flagged)."
    )
    max_k: int = Field(default=100, ge=1, le=1000, description="Largest k RES accepts.")
    candidates: int = Field(default=40, ge=1, description="Shortlist re-ranked per request.")
    max_skill_lookups: int = Field(
        default=48, ge=1, description="Per-skill mastery rows read per online lookup."
    )
    lps_database_url: str | None = Field(
        default=None, description="LPS path store; default sqlite:///<data_dir>/lps/paths.db."
    )
    lps_cache_ttl_s: float = Field(
        default=900.0, gt=0, description="LPS keeps a learner's last RES answer this long."
    )
    replan_tolerance: float = Field(
        default=0.1, gt=0, lt=1, description="Mastery change that makes LPS re-plan a path."
    )
    replan_consumer: bool = Field(default=True, description="LPS consumes ProgressUpdateEvent.")
    replan_group: str = "learnloop-lps-replan"


class SecuritySettings(BaseModel):
    """Transport and data protection: TLS listeners, body limits, PII encryption, retention."""

    tls_cert_file: Path | None = Field(
        default=None, description="PEM certificate (chain) of every HTTP/gRPC listener; TLS on."
    )
    tls_key_file: Path | None = Field(default=None, description="PEM private key of tls_cert_file.")
    tls_ca_file: Path | None = Field(
        default=None, description="CA bundle clients use to verify learnloop's listeners."
    )
    max_body_kb: int = Field(default=1024, ge=1, description="Largest request body (413 above).")
    body_limit_overrides_kb: dict[str, int] = Field(
        default_factory=lambda: {"/events": 16_384},
        description="Path prefix -> body limit (KiB); SCORM uploads use catalog.max_upload_mb.",
    )
    pii_keys: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Key id -> base64 AES-256 key for PII columns; old ids stay to decrypt. "
        "Empty: one key is generated into the key dir.",
    )
    pii_active_key: str | None = Field(
        default=None, description="Key id new PII values are encrypted with (rotation)."
    )
    pii_index_key: SecretStr | None = Field(
        default=None, description="HMAC key of the e-mail blind index (never rotated casually)."
    )
    events_require_auth: bool = Field(
        default=False,
        description="POST /events refuses anonymous callers (on in production; the local "
        "simulator and benchmarks post anonymously). Learners may post only their own events.",
    )
    audit_retention_days: int = Field(default=400, ge=1, description="Audit log kept this long.")
    token_retention_days: int = Field(
        default=30, ge=1, description="Expired or revoked refresh tokens kept this long."
    )
    privacy_request_retention_days: int = Field(
        default=1095, ge=1, description="Completed erasure requests kept this long (proof)."
    )
    privacy_export_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Per-store wait of GET /users/{id}/export (the feature store's first read "
        "imports Feast: ~15 s); a store that does not answer in time is listed as missing.",
    )
    consumer_state_erasure: Literal["gateway", "consumer"] = Field(
        default="gateway",
        description="Who erases a learner from the feature consumers' state: the gateway's "
        "feature-store handler (it shares <state_path> with the consumer, local) or each feature "
        "consumer process itself (own disks, Kubernetes); the identity service then also waits "
        "for a `feature_consumer_state` result.",
    )
    consumer_state_export_url: str | None = Field(
        default=None,
        description="With consumer_state_erasure `consumer`: URL of each feature consumer's "
        "export of its own state (its metrics port), with `{subject_id}` and `{index}` (the "
        "partition slice), e.g. https://learnloop-feature-consumer-{index}.learnloop-feature-"
        "consumer-pods:9100/privacy/subjects/{subject_id}. Unset: GET /users/{id}/export lists "
        "the slices under `missing`.",
    )

    @field_validator("consumer_state_export_url")
    @classmethod
    def _export_url_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        if "subject_id" not in fields or not fields <= {"subject_id", "index"}:
            raise ValueError(
                "security.consumer_state_export_url needs the field {subject_id} and may have "
                f"{{index}}, no other; got {sorted(fields)}"
            )
        if not value.startswith(("http://", "https://")):
            raise ValueError("security.consumer_state_export_url must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _tls_pair(self) -> SecuritySettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("security.tls_cert_file and security.tls_key_file go together")
        if self.pii_keys and self.pii_active_key not in self.pii_keys:
            raise ValueError("security.pii_active_key must name one of security.pii_keys")
        return self


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
    db: DatabaseSettings = Field(default_factory=DatabaseSettings)

    api: ApiSettings = Field(default_factory=ApiSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    lake: LakeSettings = Field(default_factory=LakeSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    features: FeatureStoreSettings = Field(default_factory=FeatureStoreSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)
    progress: ProgressSettings = Field(default_factory=ProgressSettings)
    catalog: CatalogSettings = Field(default_factory=CatalogSettings)
    experiments: ExperimentSettings = Field(default_factory=ExperimentSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    integrations: IntegrationSettings = Field(default_factory=IntegrationSettings)
    mlflow: MlflowSettings = Field(default_factory=MlflowSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    drift: DriftSettings = Field(default_factory=DriftSettings)
    sagemaker: SageMakerSettings = Field(default_factory=SageMakerSettings)
    graph: GraphSettings = Field(default_factory=GraphSettings)
    serving: ServingSettings = Field(default_factory=ServingSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        self.data_dir = self.data_dir.expanduser().resolve()
        if self.dataset_dir is not None:
            self.dataset_dir = self.dataset_dir.expanduser().resolve()
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        secrets = {
            "auth.pseudonym_secret": self.auth.pseudonym_secret,
            "notifications.signing_secret": self.notifications.signing_secret,
            "integrations.stripe_webhook_secret": self.integrations.stripe_webhook_secret,
            "integrations.crm_webhook_secret": self.integrations.crm_webhook_secret,
        }
        for name, value in secrets.items():
            if value is not None and value.get_secret_value() in PLACEHOLDER_SECRETS:
                message = f"{name} is a placeholder; set a real secret"
                if self.env != "development":
                    raise ValueError(f"{message} (LEARNLOOP_ENV={self.env})")
                warnings.warn(message, stacklevel=2)
        if self.env == "production" and (
            self.auth.argon2_time_cost < 3 or self.auth.argon2_memory_kib < 65_536
        ):
            raise ValueError("auth.argon2_* below RFC 9106 low-memory parameters in production")
        if self.env == "production" and not _shared_registry(self.mlflow.tracking_uri):
            raise ValueError(
                f"mlflow.tracking_uri={self.mlflow.tracking_uri!r} in production: set a registry "
                "every process shares (http(s)://, databricks, or a SageMaker MLflow tracking "
                "server ARN); the default, a SQLite file in this process's data folder, would "
                "leave serving on its built-in models"
            )
        return self

    @property
    def url_scheme(self) -> str:
        """Scheme of learnloop's own HTTP listeners: ``https`` once a TLS certificate is set."""
        return "https" if self.security.tls_cert_file else "http"

    @property
    def api_base_url(self) -> str:
        """Base URL of the gateway as seen from this machine (https with a TLS certificate)."""
        return f"{self.url_scheme}://{self.api.host}:{self.api.port}"

    @property
    def auth_issuer(self) -> str:
        """``iss`` of tokens issued by learnloop's own identity service."""
        return (self.auth.issuer or self.api_base_url).rstrip("/")

    @property
    def key_dir(self) -> Path:
        """Folder of signing keys (identity issuer, LTI tool)."""
        return self.auth.key_dir or self.data_dir / "keys"

    @property
    def object_store_uri(self) -> str:
        """Catalog object store: a local folder or ``s3://bucket/prefix``."""
        return self.catalog.object_store_uri or str(self.data_dir / "objects")

    @property
    def datasets_path(self) -> Path:
        """Where datasets are read from (the override, or the unpacked shipped archives)."""
        return self.dataset_dir or self.data_dir / "datasets"

    @property
    def experiments_dir(self) -> Path:
        """Folder of experiment definitions (``*.yaml`` / ``*.json``)."""
        return self.experiments.dir or self.data_dir / "experiments"

    @property
    def reports_dir(self) -> Path:
        """Folder where ``learnloop experiment report`` writes HTML reports."""
        return self.experiments.reports_dir or self.data_dir / "reports"

    @property
    def mail_dir(self) -> Path:
        """Local mail drop of the e-mail channel when no SMTP host is configured."""
        return self.notifications.mail_dir or self.data_dir / "mail"

    @property
    def lake_uri(self) -> str:
        """Root of the data lake as a URI or local path."""
        return self.lake.uri or str(self.data_dir / "lake")

    @property
    def graph_path(self) -> Path:
        """File of the networkx skill graph."""
        return self.graph.path or self.data_dir / "graph" / "skills.json"

    @property
    def state_path(self) -> Path:
        """Local state of the stream consumers (feature aggregates, applied offsets)."""
        return self.ingest.state_dir or self.data_dir / "state"

    @property
    def feature_repo_path(self) -> Path:
        """Folder of the rendered Feast repo (feature_store.yaml, registry, SQLite online store)."""
        return self.features.repo_path or self.data_dir / "feast"

    @property
    def feature_offline_path(self) -> Path:
        """Folder of the offline feature tables (parquet) built from the lake."""
        return self.features.offline_path or self.data_dir / "features"

    @property
    def mlflow_tracking_uri(self) -> str:
        """MLflow tracking (and registry) URI: the setting or a SQLite file under the data dir."""
        return self.mlflow.tracking_uri or f"sqlite:///{self.data_dir / 'mlflow' / 'mlflow.db'}"

    @property
    def mlflow_artifact_location(self) -> str:
        """Artifact location of experiments learnloop creates."""
        return self.mlflow.artifact_location or str(self.data_dir / "mlflow" / "artifacts")

    @property
    def pipeline_root(self) -> Path:
        """Folder of the training pipeline's step outputs."""
        return self.pipeline.artifact_root or self.data_dir / "pipeline"

    @property
    def pipeline_params_file(self) -> Path:
        """Pipeline hyper-parameters (the DVC params file)."""
        return self.pipeline.params_file or REPO_ROOT / "params.yaml"

    @property
    def drift_report_dir(self) -> Path:
        """Folder of drift reports (HTML + JSON)."""
        return self.drift.report_dir or self.data_dir / "reports" / "drift"

    @property
    def res_url(self) -> str:
        """Base URL of RES (recommendations)."""
        local = f"{self.url_scheme}://127.0.0.1:{self.serving.res_port}"
        return (self.serving.res_url or local).rstrip("/")

    @property
    def lps_url(self) -> str:
        """Base URL of LPS (learning paths)."""
        local = f"{self.url_scheme}://127.0.0.1:{self.serving.lps_port}"
        return (self.serving.lps_url or local).rstrip("/")

    @property
    def res_grpc_address(self) -> str:
        """``host:port`` of RES's gRPC server as LPS dials it."""
        return self.serving.res_grpc_address or f"127.0.0.1:{self.serving.grpc_port}"

    @property
    def lps_database_url(self) -> str:
        """Database of LPS's stored paths (its own, not the services' database)."""
        return self.serving.lps_database_url or f"sqlite:///{self.data_dir / 'lps' / 'paths.db'}"

    @property
    def sqlalchemy_url(self) -> str:
        """Relational database URL (SQLite file under the data dir unless configured)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'learnloop.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once from the environment)."""
    return Settings()
