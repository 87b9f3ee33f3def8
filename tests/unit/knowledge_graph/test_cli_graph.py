"""``learnloop graph``: seed from the shipped content pack, show, closure, one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from learnloop.cli import app, main
from learnloop.settings import get_settings


@pytest.fixture
def env(tmp_path: Path, dataset_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEARNLOOP_DATASET_DIR", str(dataset_dir))
    monkeypatch.setenv("LEARNLOOP_LOG_JSON", "false")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_seed_show_and_closure(env: Path) -> None:
    runner = CliRunner()
    seeded = runner.invoke(app, ["graph", "seed", "--course", "OpenStax: Elementary Algebra"])
    assert seeded.exit_code == 0, seeded.output
    assert "seeded 1 courses" in seeded.output
    assert (env / "graph" / "skills.json").is_file()
    shown = runner.invoke(app, ["graph", "show"])
    assert shown.exit_code == 0 and "skills" in shown.output and "prerequisites" in shown.output
    from knowledge_graph.networkx_backend import NetworkXSkillGraph

    graph = NetworkXSkillGraph(env / "graph" / "skills.json")
    deep = max(graph.skills(), key=lambda s: len(graph.ancestors(s)))
    closure = runner.invoke(app, ["graph", "closure", deep])
    assert closure.exit_code == 0 and closure.output.strip().splitlines()[-1].endswith(deep)
    one = runner.invoke(app, ["graph", "show", deep])
    assert one.exit_code == 0 and "prerequisites" in one.output


def test_unknown_skill_is_one_line_with_suggestions(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from knowledge_graph.networkx_backend import NetworkXSkillGraph

    graph = NetworkXSkillGraph(env / "graph" / "skills.json")
    graph.add_prerequisite("fractions", "ratios")
    graph.save()
    monkeypatch.setattr("sys.argv", ["learnloop", "graph", "closure", "fractons"])
    with pytest.raises(SystemExit) as info:
        main()
    output = " ".join(capsys.readouterr().err.split())
    assert info.value.code == 2
    assert "error: unknown skill 'fractons'; did you mean: fractions" in output


def test_first_start_seeds_the_graph_file_that_serving_then_reads(env: Path) -> None:
    from learnloop.resources import ensure_skill_graph
    from serving.factory import content_dir, prerequisite_map

    settings = get_settings()
    in_memory = prerequisite_map(settings, content_dir(settings))  # no file: seeded in memory
    report = ensure_skill_graph(settings)
    assert report is not None and report.skills > 1000 and report.prerequisites > 1000
    assert settings.graph_path.is_file()
    assert ensure_skill_graph(settings) is None  # a file already: left as it is
    assert prerequisite_map(settings, content_dir(settings)) == in_memory
    shown = CliRunner().invoke(app, ["graph", "show"])
    assert f"{report.skills} skills" in shown.output


def test_a_neo4j_graph_is_never_seeded_implicitly(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from learnloop.resources import ensure_skill_graph

    monkeypatch.setenv("LEARNLOOP_GRAPH__BACKEND", "neo4j")
    get_settings.cache_clear()
    assert ensure_skill_graph(get_settings()) is None
    assert not get_settings().graph_path.exists()
