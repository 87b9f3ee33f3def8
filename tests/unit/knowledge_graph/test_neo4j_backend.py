"""The Neo4j backend: the Cypher each method sends (recording fake driver), and the shared
contract against a real server when ``NEO4J_URI`` is set (``NEO4J_USER``/``NEO4J_PASSWORD``)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from testkit.skill_graph_contract import SkillGraphContract

from knowledge_graph import cypher
from knowledge_graph.base import Skill
from knowledge_graph.errors import CycleError, UnknownSkillError
from knowledge_graph.neo4j_backend import Neo4jSkillGraph

Rows = list[dict[str, Any]]


class FakeResult:
    def __init__(self, rows: Rows) -> None:
        self._rows = rows

    def data(self) -> Rows:
        return self._rows


class FakeTx:
    def __init__(self, driver: FakeDriver, mode: str) -> None:
        self.driver, self.mode = driver, mode

    def run(self, query: str, parameters: dict[str, Any] | None = None) -> FakeResult:
        params = dict(parameters or {})
        self.driver.sent.append((self.mode, query, params))
        return FakeResult(self.driver.respond(query, params))


class FakeSession:
    def __init__(self, driver: FakeDriver, database: str | None) -> None:
        self.driver, self.database = driver, database

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute_read(self, work: Callable[[FakeTx], Any]) -> Any:
        return work(FakeTx(self.driver, "read"))

    def execute_write(self, work: Callable[[FakeTx], Any]) -> Any:
        self.driver.transactions += 1
        return work(FakeTx(self.driver, "write"))


class FakeDriver:
    """Records (mode, query, parameters); answers from ``responses`` keyed by query text."""

    def __init__(self, responses: dict[str, Rows] | None = None) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.responses = responses or {}
        self.databases: list[str | None] = []
        self.transactions = 0  # write transactions started

    def session(self, database: str | None = None) -> FakeSession:
        self.databases.append(database)
        return FakeSession(self, database)

    def respond(self, query: str, params: dict[str, Any]) -> Rows:
        return self.responses.get(query, [])


def check_parameterised(query: str, params: dict[str, Any]) -> None:
    """Every ``$name`` is supplied, nothing extra is, brackets balance, no value is inlined."""
    used = set(re.findall(r"\$(\w+)", query))
    assert used == set(params), (used, set(params))
    for open_, close in ("()", "[]", "{}"):
        assert query.count(open_) == query.count(close), query
    for value in params.values():
        if isinstance(value, str) and len(value) > 2:
            assert value not in query, f"{value!r} inlined into {query!r}"


@pytest.fixture
def driver() -> FakeDriver:
    return FakeDriver()


@pytest.fixture
def graph(driver: FakeDriver) -> Neo4jSkillGraph:
    return Neo4jSkillGraph(driver, database="learnloop")


def test_add_prerequisite_locks_checks_for_a_cycle_then_merges_in_one_write_tx(
    graph: Neo4jSkillGraph, driver: FakeDriver
) -> None:
    graph.add_prerequisite("fractions", "ratios", source="seed", weight=0.5)
    assert [(mode, q) for mode, q, _ in driver.sent] == [
        ("write", cypher.LOCK_PREREQUISITES),
        ("write", cypher.FIND_PATH),
        ("write", cypher.MERGE_PREREQUISITE),
    ]
    assert driver.transactions == 1  # lock, check and merge commit together
    # the lock is a write to one node every writer shares (a property SET takes its lock)
    assert "MERGE (l:GraphLock {id: 'prerequisites'})" in cypher.LOCK_PREREQUISITES
    assert "SET l.writes" in cypher.LOCK_PREREQUISITES
    assert driver.sent[1][2] == {"prerequisite": "fractions", "dependent": "ratios"}
    assert driver.sent[2][2] == {
        "prerequisite": "fractions",
        "dependent": "ratios",
        "source": "seed",
        "weight": 0.5,
    }
    assert "MERGE (p)-[r:PREREQUISITE_OF]->(d)" in cypher.MERGE_PREREQUISITE
    assert driver.databases == ["learnloop"]


def test_add_prerequisite_refuses_a_cycle_without_writing(driver: FakeDriver) -> None:
    driver.responses[cypher.FIND_PATH] = [{"path": ["ratios", "percentages", "fractions"]}]
    graph = Neo4jSkillGraph(driver)
    with pytest.raises(CycleError) as caught:
        graph.add_prerequisite("fractions", "ratios")
    assert caught.value.cycle == ["ratios", "percentages", "fractions", "ratios"]
    assert [q for _, q, _ in driver.sent] == [cypher.LOCK_PREREQUISITES, cypher.FIND_PATH]


def test_self_loop_is_refused_before_any_query(graph: Neo4jSkillGraph, driver: FakeDriver) -> None:
    with pytest.raises(CycleError):
        graph.add_prerequisite("a", "a")
    assert driver.sent == []


def test_writes_use_merge_with_parameters(graph: Neo4jSkillGraph, driver: FakeDriver) -> None:
    graph.add_skills([Skill("fractions", name="Fractions", mastery_threshold=0.8), "ratios"])
    graph.tag_content("p1", ["ratios", "ratios", "fractions"])
    graph.remove_prerequisite("fractions", "ratios")
    graph.clear()
    queries = [q for _, q, _ in driver.sent]
    assert queries == [
        cypher.MERGE_SKILLS,
        cypher.MERGE_CONTENT_TAGS,
        cypher.DELETE_PREREQUISITE,
        cypher.CLEAR,
    ]
    assert driver.sent[0][2] == {
        "rows": [
            {"id": "fractions", "props": {"name": "Fractions", "mastery_threshold": 0.8}},
            {"id": "ratios", "props": {}},
        ]
    }
    assert driver.sent[1][2] == {"content": "p1", "skills": ["ratios", "fractions"]}
    assert all(mode == "write" for mode, _, _ in driver.sent)
    for statement in (cypher.MERGE_SKILLS, cypher.MERGE_CONTENT_TAGS):
        assert "MERGE" in statement and "CREATE" not in statement


def test_ensure_schema_creates_uniqueness_constraints(
    graph: Neo4jSkillGraph, driver: FakeDriver
) -> None:
    graph.ensure_schema()
    assert [q for _, q, _ in driver.sent] == list(cypher.SCHEMA)
    assert all("IF NOT EXISTS" in q and "IS UNIQUE" in q for q in cypher.SCHEMA)


def test_reads_parse_rows(driver: FakeDriver) -> None:
    driver.responses = {
        cypher.SKILL: [{"name": None, "mastery_threshold": 0.9}],
        cypher.PREREQUISITES: [{"id": "decimals"}, {"id": "ratios"}],
        cypher.ALL_PREREQUISITES: [
            {"prerequisite": "a", "dependent": "b", "source": None, "weight": None}
        ],
        cypher.FRONTIER: [{"id": "algebra"}],
    }
    graph = Neo4jSkillGraph(driver)
    assert graph.skill("percentages") == Skill("percentages", None, 0.9)
    assert graph.prerequisites("percentages") == ["decimals", "ratios"]
    edge = graph.prerequisite_edges()[0]
    assert (edge.source, edge.weight) == ("manual", 1.0)
    assert graph.frontier({"fractions": 0.9}) == ["algebra"]
    frontier_params = next(p for _, q, p in driver.sent if q == cypher.FRONTIER)
    assert frontier_params == {
        "mastery": {"fractions": 0.9},
        "threshold": None,
        "default_threshold": 0.85,
    }
    assert all(mode == "read" for mode, _, _ in driver.sent)


def test_unknown_skill_lists_near_matches(driver: FakeDriver) -> None:
    driver.responses[cypher.ALL_SKILLS] = [{"id": "fractions"}, {"id": "ratios"}]
    graph = Neo4jSkillGraph(driver)
    with pytest.raises(UnknownSkillError, match="did you mean: fractions"):
        graph.prerequisites("fractoins")
    with pytest.raises(UnknownSkillError):
        driver.responses[cypher.MISSING_SKILLS] = [{"missing": ["fractoins"]}]
        graph.closure(["fractoins"])


def test_closure_runs_on_one_ancestor_subgraph_query(driver: FakeDriver) -> None:
    driver.responses = {
        cypher.MISSING_SKILLS: [{"missing": []}],
        cypher.ANCESTOR_SUBGRAPH: [
            {"id": "fractions", "mastery_threshold": None, "prerequisites": []},
            {"id": "percentages", "mastery_threshold": None, "prerequisites": ["ratios"]},
            {"id": "ratios", "mastery_threshold": 0.7, "prerequisites": ["fractions"]},
        ],
    }
    graph = Neo4jSkillGraph(driver)
    assert graph.closure(["percentages"]) == ["fractions", "ratios", "percentages"]
    assert graph.closure(["percentages"], {"ratios": 0.75}) == ["percentages"]
    sent = [q for _, q, _ in driver.sent]
    assert sent.count(cypher.ANCESTOR_SUBGRAPH) == 2 and len(sent) == 4


def test_every_statement_is_parameterised(graph: Neo4jSkillGraph, driver: FakeDriver) -> None:
    driver.responses[cypher.SKILL] = [{"name": None, "mastery_threshold": None}]
    driver.responses[cypher.MISSING_SKILLS] = [{"missing": []}]
    driver.responses[cypher.COUNT_SKILLS] = [{"n": 1}]
    driver.responses[cypher.COUNT_CONTENT] = [{"n": 0}]
    driver.responses[cypher.COUNT_ROOTS] = [{"n": 1}]
    graph.ensure_schema()
    graph.add_skills(["fractions"])
    graph.add_prerequisite("fractions", "ratios")
    graph.tag_content("p1", ["ratios"])
    graph.remove_prerequisite("fractions", "ratios")
    for call in (graph.skills, graph.prerequisite_edges, graph.to_networkx, graph.summary):
        call()
    graph.skill("fractions")
    graph.prerequisites("ratios")
    graph.dependents("fractions")
    graph.ancestors("ratios")
    graph.content_for("ratios")
    graph.skills_for("p1")
    graph.ancestor_subgraph(["ratios"])
    graph.frontier({"fractions": 1.0}, threshold=0.9)
    graph.clear()
    sent = {q for _, q, _ in driver.sent}
    statements = {v for k, v in vars(cypher).items() if k.isupper() and isinstance(v, str)}
    assert statements <= sent, statements - sent  # every statement is exercised
    for _, query, params in driver.sent:
        check_parameterised(query, params)


# ---------------------------------------------------------------------- real server
NEO4J_URI = os.environ.get("NEO4J_URI")


@pytest.mark.integration
@pytest.mark.skipif(not NEO4J_URI, reason="NEO4J_URI not set (no Neo4j server here)")
class TestNeo4jContract(SkillGraphContract):
    @pytest.fixture
    def graph(self) -> Iterator[Neo4jSkillGraph]:
        assert NEO4J_URI is not None
        graph = Neo4jSkillGraph.connect(
            NEO4J_URI,
            user=os.environ.get("NEO4J_USER", "neo4j"),
            password=os.environ.get("NEO4J_PASSWORD", "neo4j"),
            database=os.environ.get("NEO4J_DATABASE"),
        )
        graph.clear()
        yield graph
        graph.clear()
        graph.close()
