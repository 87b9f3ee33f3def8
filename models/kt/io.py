"""One-file persistence for KT models: numpy ``.npz`` with a JSON header, no pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from models.kt.base import KTError

FORMAT_VERSION = 1


def save_payload(
    path: str | Path, kind: str, params: dict[str, Any], arrays: dict[str, np.ndarray]
) -> Path:
    """Write ``arrays`` plus a JSON header (model kind, hyper-parameters, extra scalars)."""
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    target.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps({"format": FORMAT_VERSION, "kind": kind, "params": params})
    with target.open("wb") as fh:
        np.savez_compressed(fh, __header__=np.array(header), **arrays)  # type: ignore[arg-type]
    return target


def load_payload(path: str | Path) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`save_payload`: ``(kind, params, arrays)``."""
    source = Path(path)
    if not source.is_file() and source.with_name(source.name + ".npz").is_file():
        source = source.with_name(source.name + ".npz")
    if not source.is_file():
        raise KTError(f"model file {source} does not exist")
    try:
        with np.load(source, allow_pickle=False) as data:
            header = json.loads(str(data["__header__"]))
            arrays = {k: data[k] for k in data.files if k != "__header__"}
    except (OSError, ValueError, KeyError) as exc:
        raise KTError(f"{source} is not a learnloop KT model file: {exc}") from None
    if header.get("format") != FORMAT_VERSION:
        raise KTError(f"{source}: unsupported model file format {header.get('format')!r}")
    return str(header["kind"]), dict(header["params"]), arrays
