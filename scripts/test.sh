#!/usr/bin/env bash
# The whole test suite: lint, type-check, then pytest (which starts the real servers it needs).
set -uo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true BENTOML_DO_NOT_TRACK=true EVIDENTLY_DISABLE_TELEMETRY=1 \
  GX_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 HF_HUB_OFFLINE=1
V=.venv/bin
echo "== ruff"; $V/ruff check . && $V/ruff format --check . || exit 1
echo "== mypy"; $V/mypy . || exit 1
echo "== pytest"
$V/pytest "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "ERROR: pytest collected no tests - failing loudly." >&2
fi
exit $rc
