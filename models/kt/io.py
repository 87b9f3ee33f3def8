"""One-file persistence for KT models: numpy ``.npz`` with a JSON header, no pickle."""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from models.kt.base import ModelFileError

FORMAT_VERSION = 1
UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


class FileFields(dict[str, Any]):
    """A section of a model file: a missing key is a :class:`ModelFileError` naming the file."""

    def __init__(self, source: Path, fields: dict[str, Any]) -> None:
        super().__init__(fields)
        self.source = source

    def __missing__(self, key: str) -> Any:
        raise ModelFileError(f"{self.source}: model file has no {key!r}")


def write_atomically(target: Path, write: Callable[[BinaryIO], object]) -> None:
    """Run ``write`` on a temporary file beside ``target``, then rename it over ``target``
    (readers see the old file or the new one, never a partial one; folders are created)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            write(fh)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def save_payload(
    path: str | Path, kind: str, params: dict[str, Any], arrays: dict[str, np.ndarray]
) -> Path:
    """Write ``arrays`` plus a JSON header (model kind, hyper-parameters, extra scalars).

    Atomic (:func:`write_atomically`).
    """
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    header = json.dumps({"format": FORMAT_VERSION, "kind": kind, "params": params})
    write_atomically(
        target,
        lambda fh: np.savez_compressed(fh, __header__=np.array(header), **arrays),  # type: ignore[arg-type]
    )
    return target


def load_payload(path: str | Path) -> tuple[str, dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`save_payload`: ``(kind, params, arrays)``.

    Any unreadable or malformed file is a :class:`ModelFileError` naming it; so is a key
    missing from ``params`` or ``arrays``.
    """
    source = Path(path)
    if not source.is_file() and source.with_name(source.name + ".npz").is_file():
        source = source.with_name(source.name + ".npz")
    if not source.is_file():
        raise ModelFileError(f"model file {source} does not exist")
    try:
        with np.load(source, allow_pickle=False) as data:
            header = json.loads(str(data["__header__"]))
            arrays = {k: data[k] for k in data.files if k != "__header__"}
    except UNREADABLE as exc:
        raise ModelFileError(f"{source} is not a learnloop KT model file: {exc}") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{source}: model file header is not an object")
    meta = FileFields(source, header)
    if meta["format"] != FORMAT_VERSION:
        raise ModelFileError(f"{source}: unsupported model file format {meta['format']!r}")
    if not isinstance(meta["params"], dict):
        raise ModelFileError(f"{source}: model file 'params' is not an object")
    return str(meta["kind"]), FileFields(source, meta["params"]), FileFields(source, arrays)
