"""params.yaml: typed sections, unknown keys refused, quick mode overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnloop.settings import REPO_ROOT, Settings
from pipelines.params import ParamsError, load_params, read_params


def test_repo_params_file_parses_and_lists_models() -> None:
    params = read_params(REPO_ROOT / "params.yaml")
    assert params.data.dataset == "assist2009"
    assert "bkt" in params.kt.models
    assert params.profile == "full"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert read_params(tmp_path / "absent.yaml") == read_params(None)


def test_unknown_key_is_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("data:\n  datset: assist2009\n")
    with pytest.raises(ParamsError, match=r"unknown key\(s\) \['datset'\]; allowed: .*dataset"):
        read_params(path)
    path.write_text("trainig: {}\n")
    with pytest.raises(ParamsError, match="unknown section"):
        read_params(path)


def test_quick_mode_overrides_sample_and_models(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        pipeline={"quick_max_learners": 50, "quick_kt_models": ["bkt"], "quick_rec_models": []},
    )
    quick = load_params(settings, quick=True)
    assert (quick.profile, quick.data.max_learners, quick.kt.models) == ("quick", 50, ["bkt"])
    assert load_params(settings, quick=False).profile == "full"
    assert quick.digest(("data",)) != load_params(settings).digest(("data",))
