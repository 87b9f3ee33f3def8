from __future__ import annotations

import io
from pathlib import Path

import click
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from learnloop.cli import app, main


def all_commands() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = [[]]

    def walk(command: click.Command, path: list[str]) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                paths.append([*path, name])
                walk(sub, [*path, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_commands(), ids=lambda p: " ".join(p) or "learnloop")
def test_every_command_has_help(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def run_main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setattr("sys.argv", ["learnloop", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out + captured.err


def test_unknown_dataset_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    code, output = run_main(["data", "import-kt", "nope"], monkeypatch, capsys)
    assert code == 2
    assert "error: unknown knowledge-tracing dataset 'nope'" in " ".join(output.split())
    assert "Traceback" not in output


def test_import_of_missing_file_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    code, output = run_main(["data", "import", str(tmp_path / "missing.csv")], monkeypatch, capsys)
    assert code == 2
    assert "does not exist" in output and "Traceback" not in output


def test_events_validate_reports_bad_lines(tmp_path: Path) -> None:
    good = (
        '{"learner_id":"l1","timestamp":"2024-01-01T00:00:00Z","verb":"viewed",'
        '"object":{"id":"v1","type":"video"}}'
    )
    bad = '{"timestamp":"2024-01-01T00:00:00Z","verb":"flew","object":{"id":"v1"}}'
    path = tmp_path / "events.jsonl"
    path.write_text(f"{good}\n{bad}\nnot json\n")
    result = CliRunner().invoke(app, ["events", "validate", str(path)])
    assert result.exit_code == 1
    assert "line 2: learner_id: field required; verb: unknown verb 'flew'" in " ".join(
        result.output.split()
    )
    assert "line 3: invalid JSON" in result.output
    assert "1/3 valid" in result.output


def test_bad_option_value_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["data", "import", "x.csv", "--on-error", "explode"])
    assert result.exit_code == 2
    assert "explode" in result.output


def _render(grid: object, width: int) -> str:
    from rich.console import Console

    out = Console(width=width, record=True, file=io.StringIO())
    out.print(grid)
    return out.export_text()


def test_cli_tables_wrap_long_cells_instead_of_cutting_them() -> None:
    from learnloop.console import wrapping_table

    stamp = "2026-11-27T21:31:53+00:00"
    one = wrapping_table("created")
    one.add_row(stamp)
    body = [line.strip("│ ") for line in _render(one, 16).splitlines() if line.startswith("│")]
    assert "".join(body) == stamp  # the cell folded over several lines
    grid = wrapping_table("version", "created", "metric", title="learnloop-kt")
    grid.add_row("1", stamp, "test_auc=0.7138")
    assert "…" not in _render(grid, 40)
