"""Content hashes and per-step state: what lets a rerun skip steps whose inputs are unchanged.

Hashes follow DVC: the md5 of a file's bytes; a folder hashes the sorted ``(relative path,
md5)`` list of its files. A step's *fingerprint* combines its code, its parameter sections and
the output hashes of its upstream steps (plus, for the first step, the lake's file listing).
The state of a finished step lives in ``<root>/_state/<step>.json`` — outside the step's output
folder, so the folder holds only deterministic outputs (what ``dvc.yaml`` declares as ``outs``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
STATE_DIR = "_state"


def md5_file(path: Path) -> str:
    """md5 of a file's bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def md5_path(path: Path, *, suffixes: tuple[str, ...] = ()) -> str:
    """md5 of a file, or of a folder's ``(relative path, md5)`` list (optionally only files
    ending in one of ``suffixes``); a missing path hashes to ``"missing"``."""
    if path.is_file():
        return md5_file(path)
    if not path.is_dir():
        return "missing"
    entries = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if "__pycache__" in rel or (suffixes and not rel.endswith(suffixes)):
            continue
        entries.append((rel, md5_file(file)))
    return md5_json(entries)


def md5_json(value: Any) -> str:
    """md5 of a JSON-serialisable value (keys sorted)."""
    payload = json.dumps(value, sort_keys=True, default=str).encode()
    return hashlib.md5(payload, usedforsecurity=False).hexdigest()


def module_path(module: str) -> Path:
    """The source file (module) or folder (package) of an importable module name."""
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin is None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))  # namespace package
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"cannot locate module {module!r}")
    origin = Path(spec.origin)
    return origin.parent if origin.name == "__init__.py" else origin


def code_digest(modules: tuple[str, ...]) -> str:
    """Hash of the Python sources of ``modules`` (a package counts with all its files)."""
    parts = {}
    for module in modules:
        try:
            parts[module] = md5_path(module_path(module), suffixes=(".py",))
        except ModuleNotFoundError:
            parts[module] = "absent"
    return md5_json(parts)


@dataclass
class StepState:
    """What the runner remembers about a finished step."""

    step: str
    fingerprint: str
    outputs_md5: str
    status: str = "done"
    started_at: float = 0.0
    seconds: float = 0.0
    metrics: dict[str, Any] = field(default_factory=dict)
    summary: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)


class ArtifactStore:
    """Step output folders and their state under one root (one per profile)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def out_dir(self, step: str) -> Path:
        return self.root / step

    def state_path(self, step: str) -> Path:
        return self.root / STATE_DIR / f"{step}.json"

    def read_state(self, step: str) -> StepState | None:
        path = self.state_path(step)
        if not path.is_file():
            return None
        try:
            return StepState(**json.loads(path.read_text()))
        except (ValueError, TypeError):
            return None

    def write_state(self, state: StepState) -> None:
        path = self.state_path(state.step)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(state.to_json())
        tmp.replace(path)

    def outputs_md5(self, step: str) -> str:
        return md5_path(self.out_dir(step))

    def is_current(self, step: str, fingerprint: str) -> bool:
        """True when ``step`` finished with this fingerprint and its outputs are untouched."""
        state = self.read_state(step)
        return (
            state is not None
            and state.status == "done"
            and state.fingerprint == fingerprint
            and state.outputs_md5 == self.outputs_md5(step)
        )

    def clean_leftovers(self) -> None:
        """Remove staging / replaced folders a killed run left behind (call under the lock)."""
        state = self.root / STATE_DIR
        for leftover in [*state.glob("*.staging-*"), *state.glob("*.old-*")]:
            shutil.rmtree(leftover, ignore_errors=True)

    def staging_dir(self, step: str) -> Path:
        """A fresh folder to write ``step``'s outputs into before they are published."""
        staging = self.root / STATE_DIR / f"{step}.staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        return staging

    def publish(self, step: str, staging: Path) -> None:
        """Replace ``step``'s output folder by ``staging`` (old outputs kept until then)."""
        target = self.out_dir(step)
        old = self.root / STATE_DIR / f"{step}.old-{time.time_ns()}"
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
