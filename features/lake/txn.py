"""Atomic replacement of a set of lake files by another, on a local folder or S3.

A publish is a small *plan* object ``<dataset>/_txn/<id>.json`` listing the staged outputs (with
their final paths) and the inputs they replace. Steps: stage outputs → write plan → (replace
only) check no other plan claims the same inputs → move outputs into place → delete inputs →
delete plan. Readers apply pending plans to what they list (:func:`visible_files`): while a
plan's outputs are not all in place they are hidden, once they are the inputs are hidden, so a
reader sees either the old files or the new ones, never a mix — also after a ``kill -9``.
:func:`recover` rolls a dead writer's plan forward (some output already moved) or back (none).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pyarrow import fs

TXN_DIR = "_txn"
STAGING = "_staging"
STALE_AFTER_S = 600.0


class ConflictError(RuntimeError):
    """Another rewrite claims some of the same input files; retry later."""


@dataclass(frozen=True)
class Plan:
    """Outputs to move into place (staged → final) and inputs they replace (dataset-relative)."""

    txid: str
    outputs: list[tuple[str, str]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "txid": self.txid,
                "outputs": self.outputs,
                "inputs": self.inputs,
                "created_at": self.created_at,
            }
        ).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Plan:
        raw = json.loads(data)
        return cls(
            raw["txid"], [tuple(o) for o in raw["outputs"]], raw["inputs"], raw["created_at"]
        )


class DatasetFiles:
    """File operations on one dataset folder (paths relative to it)."""

    def __init__(self, filesystem: fs.FileSystem, root: str):
        self.fs = filesystem
        self.root = root.rstrip("/")

    def abs(self, relative: str) -> str:
        return f"{self.root}/{relative.lstrip('/')}"

    def rel(self, absolute: str) -> str:
        return absolute[len(self.root) + 1 :]

    def listing(self, under: str = "") -> list[fs.FileInfo]:
        selector = fs.FileSelector(
            self.abs(under) if under else self.root, recursive=True, allow_not_found=True
        )
        return [i for i in self.fs.get_file_info(selector) if i.type == fs.FileType.File]

    def plans(self) -> list[Plan]:
        out = []
        for info in self.listing(TXN_DIR):
            if info.path.endswith(".json"):
                with (
                    contextlib.suppress(FileNotFoundError, OSError, ValueError, KeyError),
                    self.fs.open_input_stream(info.path) as stream,
                ):
                    out.append(Plan.from_json(stream.read()))
        return out

    def write_plan(self, plan: Plan) -> None:
        self.fs.create_dir(self.abs(TXN_DIR), recursive=True)
        path = self.abs(f"{TXN_DIR}/{plan.txid}.json")
        if isinstance(self.fs, fs.LocalFileSystem):  # write + rename: atomic on POSIX
            with self.fs.open_output_stream(path + ".tmp") as stream:
                stream.write(plan.to_json())
            self.fs.move(path + ".tmp", path)
        else:  # one PUT: atomic on S3
            with self.fs.open_output_stream(path) as stream:
                stream.write(plan.to_json())

    def delete_plan(self, plan: Plan) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.delete_file(self.abs(f"{TXN_DIR}/{plan.txid}.json"))

    def exists(self, relative: Iterable[str]) -> set[str]:
        paths = list(relative)
        infos = self.fs.get_file_info([self.abs(p) for p in paths])
        return {p for p, i in zip(paths, infos, strict=True) if i.type == fs.FileType.File}

    def delete(self, relative: Iterable[str]) -> None:
        for path in relative:
            with contextlib.suppress(FileNotFoundError):
                self.fs.delete_file(self.abs(path))

    def move(self, staged: str, final: str) -> None:
        self.fs.create_dir(self.abs(final).rsplit("/", 1)[0], recursive=True)
        self.fs.move(self.abs(staged), self.abs(final))

    def discard_staging(self, txid: str) -> None:
        path = self.abs(f"{STAGING}/{txid}")
        self.fs.delete_dir_contents(path, missing_dir_ok=True)
        with contextlib.suppress(FileNotFoundError, OSError):
            self.fs.delete_dir(path)


def is_data_file(relative: str) -> bool:
    """A published parquet file (not staging, not a plan, not hidden)."""
    return relative.endswith(".parquet") and not any(
        part.startswith(("_", ".")) for part in relative.split("/")
    )


def visible_files(files: DatasetFiles, under: str = "") -> list[str]:
    """Dataset-relative data files a reader should see, with pending plans applied."""
    present = {files.rel(i.path) for i in files.listing(under)}
    data = {p for p in present if is_data_file(p)}
    plans = files.plans()
    if plans:
        published = files.exists(final for plan in plans for _, final in plan.outputs)
        for plan in plans:
            finals = {final for _, final in plan.outputs}
            if finals <= published:
                data -= set(plan.inputs)
            else:
                data -= finals
    return sorted(data)


def commit(files: DatasetFiles, plan: Plan) -> None:
    """Publish ``plan`` (outputs already staged); raises :class:`ConflictError` if contested."""
    files.write_plan(plan)
    try:
        if plan.inputs:
            claimed = set(plan.inputs)
            if any(
                other.txid != plan.txid and claimed & set(other.inputs) for other in files.plans()
            ):
                raise ConflictError(f"files are being rewritten by another writer ({plan.txid})")
            missing = claimed - files.exists(plan.inputs)
            if missing:
                raise ConflictError(f"{len(missing)} input files vanished; rewrite again")
    except ConflictError:
        files.delete_plan(plan)
        files.discard_staging(plan.txid)
        raise
    _roll_forward(files, plan)


def _roll_forward(files: DatasetFiles, plan: Plan) -> None:
    for staged, final in plan.outputs:
        try:
            files.move(staged, final)
        except OSError:  # FileNotFoundError locally; S3 reports NO_SUCH_KEY as a plain OSError
            if files.exists([staged]):
                raise
            # the staged file is gone: already moved by an earlier attempt
    files.delete(plan.inputs)
    files.delete_plan(plan)
    files.discard_staging(plan.txid)


def recover(
    files: DatasetFiles,
    *,
    stale_after_s: float = STALE_AFTER_S,
    only: Callable[[Plan], bool] | None = None,
) -> int:
    """Finish or undo plans of writers that died (older than ``stale_after_s``).

    ``only`` selects the plans to settle now whatever their age (a sink settles the plans that
    touch the partitions it was just assigned, before reading them); orphaned staging folders
    are swept only in the age-based mode.
    """
    done = 0
    now = time.time()
    for plan in files.plans():
        if only is not None and not only(plan):
            continue
        if only is None and now - plan.created_at < stale_after_s:
            continue
        if files.exists(final for _, final in plan.outputs):
            _roll_forward(files, plan)
        else:
            files.delete_plan(plan)
            files.discard_staging(plan.txid)
        done += 1
    if only is not None:
        return done
    staging = files.listing(STAGING)
    live = {p.txid for p in files.plans()}
    for info in staging:
        txid = files.rel(info.path).split("/")[1]
        mtime = info.mtime.timestamp() if info.mtime else now
        if txid not in live and now - mtime > stale_after_s:
            files.discard_staging(txid)
    return done


def plan_for(txid: str, staged: Sequence[str], staging_root: str, replaces: Sequence[str]) -> Plan:
    """Plan moving files staged under ``_staging/<txid>/`` to the same relative place."""
    prefix = f"{staging_root}/"
    outputs = [(path, path[len(prefix) :]) for path in staged]
    return Plan(txid, outputs, list(replaces))
