"""Model files: unreadable or malformed files raise one clear error; saving is atomic."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from models.kt import ModelFileError, load_model
from models.kt.io import load_payload, save_payload


def _with_header(path: Path, header: object) -> Path:
    np.savez(path, __header__=np.array(json.dumps(header)), coef=np.zeros(2))
    return path


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ([1, "pfa"], "header is not an object"),
        ({"format": 1, "params": {}}, "model file has no 'kind'"),
        ({"format": 1, "kind": "pfa"}, "model file has no 'params'"),
        ({"format": 1, "kind": "pfa", "params": []}, "'params' is not an object"),
        ({"format": 7, "kind": "pfa", "params": {}}, "unsupported model file format 7"),
    ],
)
def test_malformed_header_names_the_file_and_the_problem(
    tmp_path: Path, header: object, problem: str
) -> None:
    path = _with_header(tmp_path / "m.npz", header)
    with pytest.raises(ModelFileError, match=f"{path}.*{problem}"):
        load_payload(path)


def test_missing_model_fields_name_the_file_and_the_field(tmp_path: Path) -> None:
    path = _with_header(tmp_path / "m.npz", {"format": 1, "kind": "pfa", "params": {}})
    with pytest.raises(ModelFileError, match=f"{path}.*no 'init'"):
        load_model(path)


def test_truncated_or_foreign_file_is_a_model_file_error(tmp_path: Path) -> None:
    good = save_payload(tmp_path / "good", "pfa", {}, {"coef": np.arange(100.0)})
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[:-40])
    foreign = tmp_path / "foreign.npz"
    foreign.write_text("not a model")
    for path in (truncated, foreign):
        with pytest.raises(ModelFileError, match=f"{path} is not a learnloop KT model file"):
            load_model(path)


def test_failed_save_leaves_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    path = save_payload(tmp_path / "model.npz", "pfa", {"n": 1}, {"coef": np.ones(3)})
    unpicklable = np.array([lambda: 0], dtype=object)
    with pytest.raises(Exception, match="pickle"):
        save_payload(path, "pfa", {"n": 2}, {"coef": unpicklable})
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]
    assert zipfile.is_zipfile(path)
    kind, params, arrays = load_payload(path)
    assert (kind, params) == ("pfa", {"n": 1})
    np.testing.assert_array_equal(arrays["coef"], np.ones(3))


def test_unknown_model_kind_names_the_file(tmp_path: Path) -> None:
    path = _with_header(tmp_path / "m.npz", {"format": 1, "kind": "nope", "params": {}})
    with pytest.raises(ModelFileError, match=f"{path}: unknown KT model 'nope'"):
        load_model(path)
