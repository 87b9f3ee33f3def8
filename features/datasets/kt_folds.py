"""Loader for the knowledge-tracing fold files (ASSISTments 2009/2015, Statics2011).

Layout (AKT paper's splits): ``<dir>/<dataset>/<dataset>_{train,valid,test}{1..5}.csv``, one
record per student spread over 3 or 4 lines:

* ``assist2009_pid`` — ``index,raw_user_id`` / problem ids / skill ids / correctness
* ``assist2015`` — ``index,raw_user_id`` / skill ids / correctness
* ``statics`` — sequence length / question (step) ids / correctness

Ids are contiguous and start at 1; 0 is free for padding. In ``assist2009_pid`` an interaction
with several skills appears as consecutive rows with the same problem id, one per skill.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

Split = Literal["train", "valid", "test"]
SPLITS: tuple[Split, ...] = ("train", "valid", "test")
FOLDS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class KTDatasetSpec:
    """Static facts about one shipped knowledge-tracing dataset."""

    name: str
    lines_per_record: int
    has_problem_ids: bool
    has_user_ids: bool
    n_skills: int
    n_problems: int


DATASETS: dict[str, KTDatasetSpec] = {
    "assist2009_pid": KTDatasetSpec("assist2009_pid", 4, True, True, 110, 16891),
    "assist2015": KTDatasetSpec("assist2015", 3, False, True, 100, 0),
    "statics": KTDatasetSpec("statics", 3, False, False, 1223, 0),
}
ALIASES = {"assist2009": "assist2009_pid", "statics2011": "statics"}


@dataclass(frozen=True)
class KTSequence:
    """One learner's chronological interactions.

    ``skills`` and ``correct`` have equal length; ``problems`` too when the dataset has
    problem ids (else ``None``).
    """

    learner_id: str
    skills: npt.NDArray[np.int64]
    correct: npt.NDArray[np.int8]
    problems: npt.NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.correct)


@dataclass(frozen=True)
class KTFold:
    """Train/valid/test sequences of one fold plus id-space sizes."""

    dataset: str
    fold: int
    train: list[KTSequence]
    valid: list[KTSequence]
    test: list[KTSequence]
    n_skills: int
    n_problems: int


class DatasetNotFoundError(FileNotFoundError):
    """A dataset name or file is not available."""


def resolve_name(name: str) -> str:
    """Canonical dataset name (``assist2009`` → ``assist2009_pid``); error lists the known ones."""
    canonical = ALIASES.get(name, name)
    if canonical not in DATASETS:
        known = ", ".join(sorted([*DATASETS, *ALIASES]))
        raise DatasetNotFoundError(f"unknown knowledge-tracing dataset {name!r}; known: {known}")
    return canonical


def _ints(line: str) -> npt.NDArray[np.int64]:
    text = line.strip().rstrip(",")
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.array(text.split(","), dtype=np.int64)


def _records(path: Path, n_lines: int) -> Iterator[list[str]]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if len(lines) % n_lines:
        raise ValueError(
            f"{path}: {len(lines)} non-empty lines is not a multiple of {n_lines} (truncated file?)"
        )
    for start in range(0, len(lines), n_lines):
        yield lines[start : start + n_lines]


def read_sequences(path: Path, dataset: str) -> list[KTSequence]:
    """Parse one fold file of ``dataset`` into sequences."""
    spec = DATASETS[resolve_name(dataset)]
    sequences = []
    for index, record in enumerate(_records(path, spec.lines_per_record)):
        header = record[0].strip().rstrip(",")
        learner = header.split(",")[1] if spec.has_user_ids else f"{path.stem}-{index}"
        correct = _ints(record[-1]).astype(np.int8)
        skills = _ints(record[-2])
        problems = _ints(record[1]) if spec.has_problem_ids else None
        if len(skills) != len(correct) or (problems is not None and len(problems) != len(correct)):
            raise ValueError(f"{path}: record {index} has lines of different lengths")
        sequences.append(KTSequence(learner, skills, correct, problems))
    return sequences


def fold_path(root: Path, dataset: str, split: Split, fold: int) -> Path:
    """Path of one split file; raises :class:`DatasetNotFoundError` naming what is missing."""
    name = resolve_name(dataset)
    if fold not in FOLDS:
        raise DatasetNotFoundError(f"fold must be one of {FOLDS}, got {fold}")
    path = root / "kt" / name / f"{name}_{split}{fold}.csv"
    if not path.is_file():
        raise DatasetNotFoundError(f"missing fold file {path}")
    return path


def load_fold(root: Path, dataset: str, fold: int = 1) -> KTFold:
    """Load train/valid/test of ``fold`` from ``<root>/kt/<dataset>/``."""
    name = resolve_name(dataset)
    spec = DATASETS[name]
    parts = {s: read_sequences(fold_path(root, name, s, fold), name) for s in SPLITS}
    return KTFold(
        name, fold, parts["train"], parts["valid"], parts["test"], spec.n_skills, spec.n_problems
    )


def load_all_learners(root: Path, dataset: str) -> list[KTSequence]:
    """Every distinct learner of ``dataset`` once (union of all fold files)."""
    name = resolve_name(dataset)
    spec = DATASETS[name]
    if not spec.has_user_ids:
        whole = root / "kt" / name / f"{name}.csv"
        if not whole.is_file():
            raise DatasetNotFoundError(f"missing file {whole}")
        return [
            KTSequence(f"{name}-{i}", s.skills, s.correct, s.problems)
            for i, s in enumerate(read_sequences(whole, name))
        ]
    seen: dict[str, KTSequence] = {}
    for fold in FOLDS:
        for split in SPLITS:
            for seq in read_sequences(fold_path(root, name, split, fold), name):
                seen.setdefault(seq.learner_id, seq)
    return list(seen.values())
