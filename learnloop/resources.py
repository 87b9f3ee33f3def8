"""Construct the stateful resources of the platform from settings (one place)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from features.datasets.shipped import ensure_unpacked
from features.lake import Lake
from learnloop.settings import SHIPPED_DATA_DIR, Settings

if TYPE_CHECKING:
    from knowledge_graph.base import SkillGraph
    from knowledge_graph.seed import SeedReport


def lake_from_settings(settings: Settings) -> Lake:
    """The data lake configured by ``settings.lake`` (local folder or S3)."""
    lake = settings.lake
    return Lake.from_uri(
        settings.lake_uri,
        s3_endpoint=lake.s3_endpoint,
        s3_region=lake.s3_region,
        s3_access_key=lake.s3_access_key.get_secret_value() if lake.s3_access_key else None,
        s3_secret_key=lake.s3_secret_key.get_secret_value() if lake.s3_secret_key else None,
    )


def datasets_dir(settings: Settings) -> Path:
    """The dataset folder, unpacking the shipped archives into it on first use."""
    if settings.dataset_dir is not None:
        if not settings.dataset_dir.is_dir():
            raise FileNotFoundError(f"LEARNLOOP_DATASET_DIR {settings.dataset_dir} does not exist")
        return settings.dataset_dir
    return ensure_unpacked(settings.datasets_path, SHIPPED_DATA_DIR)


def skill_graph_from_settings(settings: Settings) -> SkillGraph:
    """The configured skill graph (``LEARNLOOP_GRAPH__BACKEND``: networkx file or Neo4j)."""
    from knowledge_graph.factory import open_skill_graph

    g = settings.graph
    return open_skill_graph(
        g.backend,
        path=settings.graph_path,
        uri=g.neo4j_uri,
        user=g.neo4j_user,
        password=g.neo4j_password.get_secret_value() if g.neo4j_password else None,
        database=g.neo4j_database,
    )


def seed_from_pack(
    graph: SkillGraph, pack_dir: Path, courses: Sequence[str] | None = None
) -> SeedReport:
    """Seed ``graph`` from the course plans of the content pack in ``pack_dir`` (all courses,
    or the named ones), tagging each problem with the skills it exercises; saves it."""
    from features.datasets.content_pack import ContentPack
    from knowledge_graph.seed import seed_from_courses

    pack = ContentPack(pack_dir)
    plans = [pack.course(name) for name in courses] if courses else pack.courses
    problem_skills = {p.id: p.skills for p in pack.iter_problems()}
    return seed_from_courses(graph, plans, problem_skills=problem_skills)


def skill_graph_file_missing(settings: Settings) -> bool:
    """Whether the configured graph is a networkx file that does not exist yet."""
    return settings.graph.backend == "networkx" and not settings.graph_path.is_file()


def ensure_skill_graph(settings: Settings) -> SeedReport | None:
    """Seed the networkx graph file from the shipped content pack when it does not exist yet
    (``learnloop up``'s first start), so the CLI, RES and LPS read the same graph; returns
    the report, or None when there was nothing to do (a file already, or Neo4j)."""
    if not skill_graph_file_missing(settings):
        return None
    return seed_from_pack(skill_graph_from_settings(settings), datasets_dir(settings) / "content")
