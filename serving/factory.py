"""Build the serving objects from settings (the one place that reads settings for them)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from knowledge_graph.base import SkillGraph
from learnloop.resources import (
    datasets_dir,
    seed_from_pack,
    skill_graph_file_missing,
    skill_graph_from_settings,
)
from learnloop.settings import Settings
from serving.breaker import CircuitBreaker
from serving.content import ContentIndex, build_content_index

logger = logging.getLogger(__name__)


def content_dir(settings: Settings) -> Path:
    """The content pack folder (the shipped pack unpacked on first use)."""
    return datasets_dir(settings) / "content"


def prerequisite_map(settings: Settings, pack_dir: Path) -> dict[str, list[str]]:
    """The configured skill graph's prerequisites; seeded in memory from the course plans
    when the networkx graph file does not exist yet (``learnloop up`` writes it)."""
    if skill_graph_file_missing(settings):
        from knowledge_graph.networkx_backend import NetworkXSkillGraph

        logger.info("no skill graph at %s: seeding one in memory", settings.graph_path)
        graph: SkillGraph = NetworkXSkillGraph(None)
        seed_from_pack(graph, pack_dir)
    else:
        graph = skill_graph_from_settings(settings)
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
