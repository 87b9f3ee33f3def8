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


def test_mine_from_the_lake_reviews_against_the_graph_and_applies_new_edges(env: Path) -> None:
    """Simulated answers in a real (local) lake; the graph holds a third of the simulator's
    true edges. The mined edges are mostly true ones, each is reviewed against the graph, and
    --apply adds exactly the new ones."""
    import json

    import networkx as nx

    from features.lake import events_to_table
    from features.simulator import LearnerSimulator, SimulatorConfig
    from knowledge_graph.networkx_backend import NetworkXSkillGraph
    from learnloop.resources import lake_from_settings

    sim = LearnerSimulator(SimulatorConfig(seed=3, n_learners=300))
    lake_from_settings(get_settings()).write_events(events_to_table(sim.generate(150)))
    true = sim.prerequisite_edges
    graph = NetworkXSkillGraph(env / "graph" / "skills.json")
    graph.add_skills(sim.skills)
    for prerequisite, dependent in true[::3]:
        graph.add_prerequisite(prerequisite, dependent, source="seed")
    graph.save()

    out = env / "mined.json"
    mined = CliRunner().invoke(
        app, ["graph", "mine", "--source", "simulator", "--out", str(out), "--apply"]
    )
    assert mined.exit_code == 0, mined.output
    report = json.loads(out.read_text())
    assert report["learners"] == 300 and report["answers"] == 300 * 150
    assert report["params"] == {
        "threshold": 0.9,
        "max_violation": 0.02,
        "min_support": 20,
        "snapshot_every": 30,
    }
    edges = {(e["prerequisite"], e["dependent"]): e for e in report["edges"]}
    hits = len(edges.keys() & set(true))
    assert len(edges) >= 5 and hits / len(edges) >= 0.6, edges
    seeded = nx.DiGraph(true[::3])
    seeded.add_nodes_from(sim.skills)
    for (a, b), edge in edges.items():
        expected = (
            "in_graph"
            if seeded.has_edge(a, b)
            else "implied"
            if nx.has_path(seeded, a, b)
            else "reversed"
            if nx.has_path(seeded, b, a)
            else "new"
        )
        assert edge["graph"] == expected, (a, b)
    new = {pair for pair, edge in edges.items() if edge["graph"] == "new"}
    assert new, "some mined edges should be new to a graph holding a third of the true ones"
    after = NetworkXSkillGraph(env / "graph" / "skills.json")
    assert {
        (e.prerequisite, e.dependent) for e in after.prerequisite_edges() if e.source == "mined"
    } == new
    assert f"{len(new)} new" in " ".join(mined.output.split())
    shown = CliRunner().invoke(app, ["graph", "show"])
    assert f"({len(new)} mined, {len(true[::3])} seed)" in " ".join(shown.output.split())


def test_mine_with_no_answers_names_the_sources(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.argv", ["learnloop", "graph", "mine", "--source", "nope"])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert "error: no graded answers of source 'nope' in the lake (it is empty)" in " ".join(
        capsys.readouterr().err.split()
    )
