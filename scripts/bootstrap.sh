#!/usr/bin/env bash
# Create or reuse the project virtualenv (.venv) and install learnloop with its dependencies.
#
# Torch comes first from `pip install torch==2.13.0` (a CPU wheel available locally); any other
# route (uv, or a bare `torch` requirement resolved by another package) downloads a CUDA build.
# The rest is installed by uv from requirements/lock.txt. A stamp file keyed on the lock and
# pyproject makes a second run a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LEARNLOOP_VENV:-.venv}
PY=${PYTHON:-python3}
TORCH_VERSION=2.13.0
STAMP="$VENV/.learnloop-installed"
want=$(cat pyproject.toml requirements/lock.txt 2>/dev/null | sha256sum | cut -d' ' -f1)

# The web app's front-end assets (htmx, KaTeX, axe-core) from the npm registry; no-op when present.
if command -v npm >/dev/null; then scripts/web-assets.sh; else echo "[bootstrap] npm missing: web app without htmx/KaTeX" >&2; fi

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "[bootstrap] creating virtualenv $VENV"
  "$PY" -m venv "$VENV"
fi
# pip's site config may list local mirrors that lack a package; those notes are noise here.
quiet_pip() { "$VENV/bin/python" -m pip install -q "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
quiet_pip --upgrade pip uv
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('$TORCH_VERSION') else 1)" 2>/dev/null; then
  echo "[bootstrap] installing torch==$TORCH_VERSION (CPU)"
  quiet_pip "torch==$TORCH_VERSION"
fi
echo "[bootstrap] installing learnloop and its locked dependencies (first run takes a few minutes)"
export UV_HTTP_TIMEOUT=${UV_HTTP_TIMEOUT:-180}
if [[ -f requirements/lock.txt ]]; then
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r requirements/lock.txt
fi
"$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps -e .
"$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.__version__.startswith('$TORCH_VERSION') else 'torch was replaced: ' + torch.__version__)"
echo "$want" > "$STAMP"
echo "[bootstrap] ready: $VENV"
