"""Build the serving objects from settings (the one place that reads settings for them)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from learnloop.resources import datasets_dir
from learnloop.settings import Settings
from serving.breaker import CircuitBreaker
from serving.content import ContentIndex, build_content_index

logger = logging.getLogger(__name__)


def content_dir(settings: Settings) -> Path:
    """The content pack folder (the shipped pack unpacked on first use)."""
    return datasets_dir(settings) / "content"


def prerequisite_map(settings: Settings, pack_dir: Path) -> dict[str, list[str]]:
    """The configured skill graph's prerequisites; seeded in memory from the course plans
    when the networkx graph file does not exist yet."""
    from knowledge_graph.factory import open_skill_graph

    g = settings.graph
    graph = open_skill_graph(
        g.backend,
        path=settings.graph_path,
        uri=g.neo4j_uri,
        user=g.neo4j_user,
        password=g.neo4j_password.get_secret_value() if g.neo4j_password else None,
        database=g.neo4j_database,
    )
    if g.backend == "networkx" and not settings.graph_path.is_file():
        from features.datasets.content_pack import ContentPack
        from knowledge_graph.networkx_backend import NetworkXSkillGraph
        from knowledge_graph.seed import seed_from_courses

        logger.info("no skill graph at %s: seeding one in memory", settings.graph_path)
        pack = ContentPack(pack_dir)
        graph = NetworkXSkillGraph(None)
        seed_from_courses(
            graph, pack.courses, problem_skills={p.id: p.skills for p in pack.iter_problems()}
        )
    return graph.prerequisite_map()


def content_index(settings: Settings) -> ContentIndex:
    """Items and skills RES and LPS choose from."""
    pack = content_dir(settings)
    return build_content_index(pack, prerequisite_map(settings, pack))


def breaker(settings: Settings, service: str, target: str) -> CircuitBreaker:
    """A circuit breaker with the configured thresholds."""
    s = settings.serving
    return CircuitBreaker(service, target, failures=s.breaker_failures, reset_s=s.breaker_reset_s)


def res_runtime(settings: Settings, index: ContentIndex | None = None) -> Any:
    """A :class:`serving.res.runtime.ResRuntime` on the configured registry and feature store."""
    from serving.features import FeastReader, OnlineFeatures
    from serving.registry import RegistrySource
    from serving.res.runtime import ResRuntime

    features = OnlineFeatures(
        lambda: FeastReader.from_settings(settings),
        store=settings.features.online_store,
        breaker=breaker(settings, "res", "feature_store"),
        timeout_s=settings.serving.feature_timeout_ms / 1000.0,
        inline=settings.features.online_store == "sqlite",
    )
    return ResRuntime(
        settings,
        index or content_index(settings),
        features=features,
        source=RegistrySource(settings),
    )
