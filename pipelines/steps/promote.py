"""Step ``promote``: move ``champion`` to each challenger that passed the gate; record decisions.

A challenger that failed is recorded as ``rejected`` with the gate's reasons and the champion
stays where it was. On SageMaker this step runs only behind the pipeline's ConditionStep.

Output: ``decisions.json``.
"""

from __future__ import annotations

import json
from typing import Any

from learnloop.settings import Settings
from pipelines.context import StepContext, StepResult
from pipelines.params import PipelineParams
from pipelines.steps.register import registry_fingerprint


def fingerprint_extra(settings: Settings, params: PipelineParams) -> Any:
    return registry_fingerprint(settings)


def run(ctx: StepContext) -> StepResult:
    """Apply the gate decisions of ``register``."""
    from pipelines.registry import tracking, versions

    entries = json.loads((ctx.input("register") / "register.json").read_text())
    client = tracking.client(ctx.settings)
    decisions = {}
    for kind, entry in entries.items():
        if not entry:
            continue
        if entry["passed"]:
            decision = versions.promote(
                ctx.settings,
                client,
                entry["name"],
                entry["version"],
                reasons=entry["reasons"],
                actor="gate",
            )
        else:
            decision = versions.reject(
                ctx.settings, client, entry["name"], entry["version"], reasons=entry["reasons"]
            )
        ctx.report(f"{entry['name']} v{entry['version']}: {decision.action}")
        decisions[kind] = decision.to_dict()
    (ctx.out / "decisions.json").write_text(json.dumps(decisions, indent=1))
    summary = ", ".join(f"{v['model']} v{v['version']} {v['action']}" for v in decisions.values())
    return StepResult(
        metrics={f"{k}_action": v["action"] for k, v in decisions.items()},
        summary=summary or "nothing to promote",
    )
