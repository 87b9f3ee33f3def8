from __future__ import annotations

import numpy as np

from features.datasets.content_pack import ContentPack
from learnloop.settings import Settings
from services.catalog.importer import item_id
from services.catalog.service import slugify
from serving.content import ContentIndex, catalog_item_id, course_slug
from serving.factory import content_dir


def test_ids_match_the_catalog_service(dataset_dir) -> None:  # type: ignore[no-untyped-def]
    pack = ContentPack(dataset_dir / "content")
    for course in pack.courses:
        assert course_slug(course.course) == slugify(course.course)
    for n, problem in enumerate(pack.iter_problems()):
        assert catalog_item_id(problem.id) == item_id(problem.id)
        if n > 500:
            break


def test_index_holds_items_skills_and_prerequisites(tiny_index: ContentIndex) -> None:
    index = tiny_index
    assert index.item_ids == [f"oat-{p}" for p in ("p1", "p2", "p3", "p4", "p5", "p6", "q1", "q2")]
    assert index.skills == ["a", "b", "c", "d", "g"]
    assert index.course_ids == ["algebra-one", "geometry"]
    assert set(index.prerequisites.parents["c"]) == {"a", "b"}
    assert index.prerequisites.parents["d"] == ("c",)
    p5 = index.item_pos["oat-p5"]
    assert sorted(index.skills[int(s)] for s in index.skills_of(p5)) == ["a", "c"]
    prereqs = index.item_prereqs[p5].indices
    assert [index.skills[int(s)] for s in prereqs] == ["b"]  # a is its own skill
    assert index.course_mask("geometry").sum() == 2
    assert not index.course_mask("no-such-course").any()
    assert index.skill_mask(["c"]).sum() == 2
    assert index.kind_mask(["exercise"]).all() and not index.kind_mask(["video"]).any()
    assert [index.skills[int(s)] for s in index.course_skills["algebra-one"]] == [
        "a",
        "b",
        "c",
        "d",
    ]
    assert np.allclose(index.table.prior, 0.1) and np.allclose(index.table.threshold, 0.85)


def test_content_dir_uses_the_dataset_setting(tiny_settings: Settings) -> None:
    assert content_dir(tiny_settings) == tiny_settings.dataset_dir / "content"  # type: ignore[operator]
