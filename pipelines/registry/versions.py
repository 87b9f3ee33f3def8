"""Champion / challenger aliases, promotion, rollback and the decisions log.

Every decision (gate promotion, gate rejection, manual promote, rollback) is recorded three
ways: tags and description on the model version, a run in the ``<experiment>-decisions``
experiment (so a remote MLflow server holds the log), and a line in
``<data_dir>/mlflow/decisions.jsonl``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from learnloop.settings import Settings
from pipelines.registry.tracking import CHALLENGER, CHAMPION, experiment_id, model_names

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion


class RegistryError(ValueError):
    """A registry request that cannot be honoured (unknown model or version, nothing to roll
    back to); the message says why."""


@dataclass
class Decision:
    """One registry decision."""

    model: str
    action: str
    version: str | None
    previous_champion: str | None
    reasons: list[str]
    actor: str
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_name(settings: Settings, model: str) -> str:
    """``kt`` / ``rec`` or a registered model name → the registered model name."""
    names = model_names(settings)
    if model in names:
        return names[model]
    if model in names.values():
        return model
    raise RegistryError(f"unknown model {model!r}; known: {', '.join([*names, *names.values()])}")


def alias_version(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version holding ``alias`` (``None`` if the model or alias does not exist)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def record(settings: Settings, client: MlflowClient, decision: Decision) -> Decision:
    """Write ``decision`` to the version, the decisions experiment and the JSONL log."""
    import mlflow

    name = decision.model
    summary = f"{decision.action} by {decision.actor} at {decision.at}: " + "; ".join(
        decision.reasons
    )
    if decision.version is not None:
        client.set_model_version_tag(name, decision.version, "decision", decision.action)
        client.set_model_version_tag(name, decision.version, "decision_reasons", summary[:4000])
        client.update_model_version(name, decision.version, description=summary[:4000])
    exp = experiment_id(settings, f"{settings.mlflow.experiment}-decisions")
    with mlflow.start_run(experiment_id=exp, run_name=f"{name} {decision.action}") as run:
        mlflow.set_tags(
            {
                "model": name,
                "action": decision.action,
                "version": decision.version or "",
                "previous_champion": decision.previous_champion or "",
                "actor": decision.actor,
            }
        )
        mlflow.log_dict(decision.to_dict(), "decision.json")
        mlflow.log_param("reasons", "; ".join(decision.reasons)[:6000])
    log = settings.data_dir / "mlflow" / "decisions.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as fh:
        fh.write(json.dumps({**decision.to_dict(), "run_id": run.info.run_id}) + "\n")
    return decision


def set_challenger(client: MlflowClient, name: str, version: str) -> None:
    """Point the ``challenger`` alias at ``version``."""
    client.set_registered_model_alias(name, CHALLENGER, version)


def promote(
    settings: Settings,
    client: MlflowClient,
    name: str,
    version: str,
    *,
    reasons: list[str],
    actor: str,
    action: str = "promoted",
) -> Decision:
    """Make ``version`` the champion (the former champion is remembered for rollback)."""
    from mlflow.exceptions import MlflowException

    try:
        client.get_model_version(name, version)
    except MlflowException:
        raise RegistryError(f"{name} has no version {version}") from None
    current = alias_version(client, name, CHAMPION)
    previous = str(current.version) if current is not None else None
    if previous == str(version):
        return Decision(name, "unchanged", str(version), previous, ["already champion"], actor)
    client.set_registered_model_alias(name, CHAMPION, str(version))
    if previous is not None:
        client.set_model_version_tag(name, str(version), "previous_champion", previous)
    client.set_model_version_tag(name, str(version), "promoted_at", str(int(time.time())))
    return record(settings, client, Decision(name, action, str(version), previous, reasons, actor))


def reject(
    settings: Settings, client: MlflowClient, name: str, version: str, *, reasons: list[str]
) -> Decision:
    """Record that ``version`` did not pass the gate (the champion stays)."""
    current = alias_version(client, name, CHAMPION)
    previous = str(current.version) if current is not None else None
    decision = Decision(name, "rejected", str(version), previous, reasons, "gate")
    return record(settings, client, decision)


def rollback(
    settings: Settings, client: MlflowClient, name: str, *, reason: str, actor: str
) -> Decision:
    """Give the champion alias back to the version it replaced."""
    current = alias_version(client, name, CHAMPION)
    if current is None:
        raise RegistryError(f"{name} has no champion to roll back")
    previous = current.tags.get("previous_champion")
    if not previous:
        raise RegistryError(
            f"{name} v{current.version} replaced no earlier champion; nothing to roll back to"
        )
    client.set_registered_model_alias(name, CHAMPION, previous)
    reasons = [reason, f"champion v{current.version} -> v{previous}"]
    decision = Decision(name, "rolled_back", previous, str(current.version), reasons, actor)
    return record(settings, client, decision)


def list_versions(client: MlflowClient, name: str) -> list[dict[str, Any]]:
    """Every version of ``name``, newest first, with aliases and the gate outcome."""
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(name)
    except MlflowException:
        return []
    aliases: dict[str, list[str]] = {}
    for alias, version in (model.aliases or {}).items():
        aliases.setdefault(str(version), []).append(alias)
    rows = []
    for v in client.search_model_versions(f"name='{name}'"):
        rows.append(
            {
                "version": str(v.version),
                "aliases": sorted(aliases.get(str(v.version), [])),
                "created": datetime.fromtimestamp(v.creation_timestamp / 1000, UTC).isoformat(
                    timespec="seconds"
                ),
                "run_id": v.run_id,
                "model_kind": v.tags.get("model_kind", ""),
                "metric": v.tags.get("test_metric", ""),
                "gate": v.tags.get("gate_passed", ""),
                "decision": v.tags.get("decision", ""),
            }
        )
    return sorted(rows, key=lambda r: int(r["version"]), reverse=True)


def read_decisions(settings: Settings, limit: int = 20) -> list[dict[str, Any]]:
    """The latest local decisions (newest last)."""
    log = settings.data_dir / "mlflow" / "decisions.jsonl"
    if not log.is_file():
        return []
    lines = log.read_text().splitlines()[-limit:]
    return [json.loads(line) for line in lines if line.strip()]
