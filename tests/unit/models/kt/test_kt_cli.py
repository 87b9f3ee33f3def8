"""``learnloop kt``: train/eval on a real fold, one-line errors for bad arguments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from learnloop.cli import main
from learnloop.commands.kt import parse_params
from learnloop.settings import get_settings
from models.kt import InteractionSequence, load_model, make_model


@pytest.fixture
def settings_env(
    dataset_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNLOOP_DATASET_DIR", str(dataset_dir))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", ["learnloop", "kt", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return int(info.value.code or 0), " ".join((captured.out + captured.err).split())


def test_train_then_eval_bkt_on_statics(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = settings_env / "bkt.npz"
    code, text = run(
        ["train", "--model", "bkt", "--dataset", "statics", "--out", str(out)], monkeypatch, capsys
    )
    assert code == 0, text
    assert "test AUC 0.7" in text and out.is_file()
    code, text = run(["eval", str(out), "--dataset", "statics"], monkeypatch, capsys)
    assert code == 0 and "bkt statics test1: AUC 0.7" in text


def test_train_with_parameter_overrides_saves_them(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = settings_env / "bkt.npz"
    args = ["train", "-m", "bkt", "-d", "statics", "-p", "forgetting=yes", "-p", "n_restarts=1"]
    code, text = run([*args, "--out", str(out)], monkeypatch, capsys)
    assert code == 0, text
    assert "bkt: forgetting=True, n_restarts=1; the rest default" in text
    params = load_model(out).get_params()
    assert (params["forgetting"], params["n_restarts"]) == (True, 1)
    assert params["max_iter"] == make_model("bkt").get_params()["max_iter"]


def test_models_lists_one_models_parameters_with_defaults(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(["models", "akt"], monkeypatch, capsys)
    assert code == 0
    assert "d_model = 256" in text and "n_heads = 8" in text and "num_threads = None" in text


def test_parameter_values_take_the_type_of_their_default() -> None:
    got = parse_params("akt", ["d_model=64", "lr=3e-3", "compile=off", "num_threads=2"])
    assert got == {"d_model": 64, "lr": 0.003, "compile": False, "num_threads": 2}
    assert parse_params("akt", ["num_threads=none"]) == {"num_threads": None}
    assert parse_params("stacked", ['members=["dkt", "bkt"]']) == {"members": ["dkt", "bkt"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--model", "nope"], "error: unknown KT model 'nope'; known: bkt"),
        (
            ["train", "-m", "bkt", "-p", "forgeting=1"],
            "error: --param forgeting: not a parameter of bkt; its parameters: forgetting,",
        ),
        (["train", "-m", "bkt", "-p", "forgetting=maybe"], "expected true or false"),
        (["train", "-m", "bkt", "-p", "n_restarts=2.5"], "expected an integer"),
        (["train", "-m", "akt", "-p", "lr=fast"], "error: --param lr=fast: expected a number"),
        (["train", "-m", "bkt", "-p", "oops"], "error: --param 'oops': expected KEY=VALUE"),
        (
            ["train", "-m", "akt", "--epochs", "1", "-p", "max_epochs=2"],
            "error: give the epoch budget once",
        ),
        (
            ["train", "--model", "bkt", "--dataset", "nope"],
            "error: unknown knowledge-tracing dataset 'nope'",
        ),
        (
            ["train", "--model", "bkt", "--epochs", "3"],
            "error: --epochs applies to the deep models",
        ),
        (
            ["eval", "/nonexistent/model.npz"],
            "error: model file /nonexistent/model.npz does not exist",
        ),
    ],
)
def test_bad_arguments_give_one_clear_line(
    args: list[str],
    message: str,
    settings_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, text = run(args, monkeypatch, capsys)
    assert code == 2
    assert message in text and "Traceback" not in text


def test_missing_dataset_files_give_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNLOOP_DATASET_DIR", str(tmp_path))  # exists, but holds no folds
    get_settings.cache_clear()
    try:
        code, text = run(
            ["train", "--model", "bkt", "--dataset", "assist2015"], monkeypatch, capsys
        )
    finally:
        get_settings.cache_clear()
    assert code == 2
    assert "error: missing fold file" in text and "Traceback" not in text


def test_truncated_model_file_gives_one_clear_line(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seq = InteractionSequence(np.array([1, 2, 1, 2]), np.array([0, 1, 1, 0]))
    model = make_model("pfa").fit([seq]).save(settings_env / "pfa.npz")
    truncated = settings_env / "trunc.npz"
    truncated.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    code, text = run(["eval", str(truncated), "--dataset", "statics"], monkeypatch, capsys)
    assert code == 2
    assert f"error: {truncated} is not a learnloop KT model file" in text
    assert "Traceback" not in text
