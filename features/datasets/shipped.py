"""Unpack the data archives shipped in the repository's ``data/`` folder on first use."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

ARCHIVES = {"kt": "kt.tar.xz", "content": "content.tar.xz"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_unpacked(target: Path, archives_dir: Path) -> Path:
    """Make sure ``target`` holds ``kt/`` and ``content/``, unpacking shipped archives if needed.

    A folder is (re)unpacked when it is missing or was unpacked from a different archive
    (a ``.source-sha256`` marker records which). A ``target`` that holds the folders without a
    marker is user-provided data and left untouched. Returns ``target``.
    """
    target.mkdir(parents=True, exist_ok=True)
    for folder, archive_name in ARCHIVES.items():
        archive = archives_dir / archive_name
        destination = target / folder
        marker = destination / ".source-sha256"
        if destination.is_dir() and not marker.exists():
            continue
        if not archive.is_file():
            if destination.is_dir():
                continue
            raise FileNotFoundError(
                f"dataset archive {archive} not found and {destination} missing"
            )
        digest = _digest(archive)
        if marker.exists() and marker.read_text().strip() == digest:
            continue
        with tarfile.open(archive, "r:xz") as tar:
            tar.extractall(target, filter="data")
        marker.write_text(digest + "\n")
    return target
