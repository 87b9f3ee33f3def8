"""The data-scientist notebooks run top to bottom in quick mode (what CI executes).

Each notebook runs in a fresh kernel with ``LEARNLOOP_PIPELINE__QUICK=true``, a temporary data
dir and a copy of the session's empty MLflow database. Developers can run the same with
``LEARNLOOP_PIPELINE__QUICK=true .venv/bin/pytest --nbmake notebooks/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from learnloop.settings import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_committed_without_outputs() -> None:
    assert len(NOTEBOOKS) >= 4
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        assert all(not cell.get("outputs") for cell in book.cells if cell.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_quick_mode(
    path: Path,
    tmp_path: Path,
    dataset_dir: Path,
    mlflow_db_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shutil.copy(mlflow_db_template, tmp_path / "mlflow.db")
    for key, value in {
        "LEARNLOOP_PIPELINE__QUICK": "true",
        "LEARNLOOP_DATA_DIR": str(tmp_path / "var"),
        "LEARNLOOP_DATASET_DIR": str(dataset_dir),
        "LEARNLOOP_MLFLOW__TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "LEARNLOOP_LOG_JSON": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MPLBACKEND": "Agg",
    }.items():
        monkeypatch.setenv(key, value)
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
