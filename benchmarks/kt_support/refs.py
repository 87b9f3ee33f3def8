"""Reference implementations run as subprocesses in their own virtualenvs on the same folds.

pyBKT needs numpy<2 and pykt-toolkit pins old libraries, so each gets a venv under
``benchmarks/.venvs/`` (git-ignored), created here on first use with ``python3 -m venv`` + pip.
The pykt venv gets ``torch==2.13.0`` (the CPU wheel) first and ``pykt-toolkit --no-deps``, so no
CUDA build is ever pulled in. Runners read the fold files themselves and print one JSON line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from models.kt.deep.trainer import default_threads

HERE = Path(__file__).resolve().parent
VENVS = HERE.parent / ".venvs"
INSTALL: dict[str, list[list[str]]] = {
    # pyBKT 1.4.3 probes sklearn metrics with lists at import: newer scikit-learn rejects that
    "pybkt": [["numpy<2", "pyBKT==1.4.3", "scikit-learn<1.4", "pandas<2.2"]],
    "pykt": [
        ["torch==2.13.0"],
        ["--no-deps", "pykt-toolkit"],
        ["numpy", "pandas", "scikit-learn", "entmax"],
    ],
}
# pykt-toolkit 0.0.38 (the PyPI release) has no simpleKT class.
MODELS = {"pybkt": {"bkt"}, "pykt": {"dkt", "sakt", "akt"}}
RUNNERS = {"pybkt": HERE / "pybkt_runner.py", "pykt": HERE / "pykt_runner.py"}


def supports(source: str, model: str) -> bool:
    return model in MODELS.get(source, set())


def ensure_venv(source: str) -> Path:
    """The venv's python, creating and installing it on first use."""
    venv = VENVS / source
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.is_file():
        return python
    print(f"[kt] creating {venv} (one time)", flush=True)
    if not python.is_file():
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    for packages in INSTALL[source]:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    stamp.write_text("ok\n")
    return python


def run(
    source: str,
    model: str,
    root: Path,
    dataset: str,
    fold: int,
    max_len: int,
    extra: list[str] | None = None,
) -> dict[str, Any] | None:
    """Run one reference; ``None`` (and a message) if it cannot be installed or fails."""
    try:
        python = ensure_venv(source)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"[kt] cannot install reference {source}: {exc}", flush=True)
        return None
    cmd = [
        str(python),
        str(RUNNERS[source]),
        "--root",
        str(root),
        "--dataset",
        dataset,
        "--fold",
        str(fold),
        "--max-len",
        str(max_len),
        "--model",
        model,
    ]
    if source == "pykt":
        cmd += ["--threads", str(default_threads())]
    cmd += extra or []
    # stderr passes through: the runners print one progress line per epoch there
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)
    if proc.returncode != 0:
        print(f"[kt] reference {source} {model} failed (exit {proc.returncode}, see above)")
        return None
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
