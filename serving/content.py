"""What RES and LPS choose from: the platform's content as arrays, built once per process.

Items are the content pack's problems under the catalog's ids (``oat-<problem>``, course slugs),
skills are the skill graph's (plus any skill an item names that the graph lacks), so answers
name the same ids the catalog serves and the progress service tracks. Everything a request needs
is precomputed here: item × skill and item × prerequisite sparse matrices, per-course item masks
and curriculum order, the content pack's BKT parameters (cold-start defaults), thresholds, and
the :class:`models.policy.Catalog` / :class:`models.policy.PrerequisiteMap` the policies take.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from features.datasets.content_pack import ContentPack
from models.policy import Catalog, ContentItem, PrerequisiteMap

CONTENT_TYPES = ("exercise", "video", "text", "external", "scorm")
DEFAULT_BKT = {"prior": 0.1, "learn": 0.1, "guess": 0.1, "slip": 0.1}
DEFAULT_THRESHOLD = 0.85
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class CachedPrerequisites(PrerequisiteMap):
    """A :class:`PrerequisiteMap` that remembers each skill's ancestors (the map is immutable;
    the planner asks for the same closures thousands of times per plan). The returned sets are
    shared: read them, do not change them."""

    def __init__(self, prerequisites: Mapping[str, Sequence[str]]) -> None:
        super().__init__(prerequisites)
        self._ancestors: dict[str, set[str]] = {}

    def ancestors(self, skill: str) -> set[str]:
        found = self._ancestors.get(skill)
        if found is None:
            found = self._ancestors[skill] = super().ancestors(skill)
        return found


def catalog_item_id(problem_id: str) -> str:
    """Catalog id of a content-pack problem (as ``services.catalog.importer.item_id``)."""
    return f"oat-{problem_id}"


def course_slug(text: str, *, max_length: int = 48) -> str:
    """Catalog id of a course (as ``services.catalog.service.slugify``)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "course"


@dataclass
class SkillTable:
    """Per-skill arrays aligned with :attr:`ContentIndex.skills`."""

    prior: FloatArray
    learn: FloatArray
    guess: FloatArray
    slip: FloatArray
    threshold: FloatArray


@dataclass(frozen=True)
class Part:
    """Rows of the item matrices (a course, or the whole catalog), sliced once."""

    rows: IntArray  # sorted global item positions
    item_skills: sp.csr_matrix
    item_prereqs: sp.csr_matrix
    skill_mean: sp.csr_matrix
    item_kind: IntArray


@dataclass
class ContentIndex:
    """Items, skills and the structure between them as arrays (see the module docstring)."""

    item_ids: list[str]
    skills: list[str]
    item_skills: sp.csr_matrix  # items × skills, 1 where the item exercises the skill
    item_prereqs: sp.csr_matrix  # items × skills, 1 where a skill is a direct prerequisite
    course_ids: list[str]
    item_course: IntArray
    item_kind: IntArray
    item_minutes: FloatArray
    course_skills: dict[str, IntArray]  # curriculum order
    table: SkillTable
    prerequisites: PrerequisiteMap
    catalog: Catalog
    item_pos: dict[str, int] = field(init=False)
    skill_pos: dict[str, int] = field(init=False)
    skill_mean: sp.csr_matrix = field(init=False)  # rows of item_skills scaled to mean

    def __post_init__(self) -> None:
        self.item_pos = {item: i for i, item in enumerate(self.item_ids)}
        self.skill_pos = {skill: i for i, skill in enumerate(self.skills)}
        counts = np.maximum(np.asarray(self.item_skills.sum(axis=1)).ravel(), 1.0)
        self.skill_mean = sp.csr_matrix(sp.diags(1.0 / counts) @ self.item_skills)
        self._course_masks: dict[str, npt.NDArray[np.bool_]] = {}
        self._parts: dict[str | None, Part] = {}

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_skills(self) -> int:
        return len(self.skills)

    def course_mask(self, course_id: str) -> npt.NDArray[np.bool_]:
        """Items of one course (unknown course: no item)."""
        mask = self._course_masks.get(course_id)
        if mask is None:
            index = self.course_ids.index(course_id) if course_id in self.course_ids else -1
            mask = self.item_course == index
            self._course_masks[course_id] = mask
        return mask

    def part(self, course_id: str | None) -> Part:
        """The matrices restricted to one course's items (``None``: every item); cached."""
        found = self._parts.get(course_id)
        if found is None:
            rows = (
                np.arange(self.n_items, dtype=np.int64)
                if course_id is None
                else np.flatnonzero(self.course_mask(course_id)).astype(np.int64)
            )
            found = self._parts[course_id] = Part(
                rows=rows,
                item_skills=sp.csr_matrix(self.item_skills[rows]),
                item_prereqs=sp.csr_matrix(self.item_prereqs[rows]),
                skill_mean=sp.csr_matrix(self.skill_mean[rows]),
                item_kind=self.item_kind[rows],
            )
        return found

    def kind_mask(self, kinds: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Items whose content type is one of ``kinds``."""
        codes = [CONTENT_TYPES.index(k) for k in kinds if k in CONTENT_TYPES]
        return np.isin(self.item_kind, codes)

    def skill_mask(self, skills: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Items exercising any of ``skills``."""
        columns = [self.skill_pos[s] for s in skills if s in self.skill_pos]
        if not columns:
            return np.zeros(self.n_items, dtype=bool)
        return np.asarray(self.item_skills[:, columns].sum(axis=1)).ravel() > 0

    def skills_of(self, item: int) -> IntArray:
        """Skill indices of one item."""
        start, end = self.item_skills.indptr[item], self.item_skills.indptr[item + 1]
        return np.asarray(self.item_skills.indices[start:end], dtype=np.int64)


def _bkt_table(
    pack: ContentPack, skills: Sequence[str], thresholds: Mapping[str, float]
) -> SkillTable:
    raw = pack.skills
    columns: dict[str, list[float]] = {name: [] for name in DEFAULT_BKT}
    keys = {
        "prior": "probMastery",
        "learn": "probTransit",
        "guess": "probGuess",
        "slip": "probSlip",
    }
    for skill in skills:
        bkt = (raw.get(skill) or {}).get("bkt") or {}
        for name, key in keys.items():
            columns[name].append(float(bkt.get(key, DEFAULT_BKT[name])))
    arrays = {k: np.clip(np.array(v, dtype=np.float64), 1e-4, 1 - 1e-4) for k, v in columns.items()}
    threshold = np.array([thresholds.get(s, DEFAULT_THRESHOLD) for s in skills], dtype=np.float64)
    return SkillTable(threshold=threshold, **arrays)


def build_content_index(pack_dir: Path, prerequisites: Mapping[str, Sequence[str]]) -> ContentIndex:
    """Index the content pack at ``pack_dir`` against a prerequisite map (``{skill: [pre]}``)."""
    pack = ContentPack(pack_dir)
    thresholds: dict[str, float] = {}
    course_ids: list[str] = []
    course_order: dict[str, list[str]] = {}
    for course in pack.courses:
        slug = course_slug(course.course)
        course_ids.append(slug)
        order = course_order.setdefault(slug, [])
        for lesson in course.lessons:
            for objective in lesson.learning_objectives:
                thresholds.setdefault(objective.skill, float(objective.mastery_threshold))
                if objective.skill not in order:
                    order.append(objective.skill)
    problems = [p for p in pack.iter_problems() if p.skills]
    named = {s for p in problems for s in p.skills}
    skills = sorted(set(prerequisites) | {p for ps in prerequisites.values() for p in ps} | named)
    skill_pos = {s: i for i, s in enumerate(skills)}
    prereq_map = CachedPrerequisites({s: list(prerequisites.get(s, ())) for s in skills})
    rows: list[int] = []
    cols: list[int] = []
    pre_rows: list[int] = []
    pre_cols: list[int] = []
    item_course, minutes, content = [], [], []
    for i, problem in enumerate(problems):
        own = problem.skills
        rows.extend([i] * len(own))
        cols.extend(skill_pos[s] for s in own)
        parents = {p for s in own for p in prereq_map.parents.get(s, ())} - set(own)
        pre_rows.extend([i] * len(parents))
        pre_cols.extend(skill_pos[p] for p in sorted(parents))
        slug = course_slug(problem.course)
        item_course.append(course_ids.index(slug) if slug in course_ids else -1)
        minutes.append(float(max(1, len(problem.steps))))
        content.append(ContentItem(catalog_item_id(problem.id), tuple(own), minutes[-1]))
    shape = (len(problems), len(skills))
    ones = np.ones(len(rows), dtype=np.float64)
    item_skills = sp.csr_matrix((ones, (rows, cols)), shape=shape)
    item_prereqs = sp.csr_matrix((np.ones(len(pre_rows)), (pre_rows, pre_cols)), shape=shape)
    item_skills.data[:] = 1.0
    item_prereqs.data[:] = 1.0
    return ContentIndex(
        item_ids=[c.id for c in content],
        skills=skills,
        item_skills=item_skills,
        item_prereqs=item_prereqs,
        course_ids=course_ids,
        item_course=np.array(item_course, dtype=np.int64),
        item_kind=np.zeros(len(problems), dtype=np.int64),  # the pack holds exercises only
        item_minutes=np.array(minutes, dtype=np.float64),
        course_skills={
            c: np.array([skill_pos[s] for s in order if s in skill_pos], dtype=np.int64)
            for c, order in course_order.items()
        },
        table=_bkt_table(pack, skills, thresholds),
        prerequisites=prereq_map,
        catalog=Catalog(content),
    )
