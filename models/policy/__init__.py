"""Policies over the skill graph and a learner model: RES re-ranking and LPS path planning.

* :class:`~models.policy.reranker.ZPDReranker` — filter candidates by prerequisites (graph +
  mastery), score toward the zone of proximal development, spaced review, diversity; every
  item carries machine-readable reasons.
* :class:`~models.policy.adaptive.AdaptivePolicy` — recommender candidates → re-ranker.
* :class:`~models.policy.planner.PathPlanner` — ordered, prerequisite-respecting path of skills
  and content to goal skills, maximising expected mastery gain per minute under a budget.
* :class:`~models.policy.mastery.KTMasteryTracker` — keeps a :class:`LearnerState` current with
  any ``models.kt`` model; :class:`~models.policy.mastery.PriorEstimator` without one.

Inputs are plain data: a prerequisite mapping ``{skill: [prerequisites]}`` (export one with
``SkillGraph.prerequisite_map()``) and a :class:`~models.policy.catalog.Catalog` of items.
"""

from models.policy.adaptive import AdaptivePolicy
from models.policy.catalog import Catalog, ContentItem
from models.policy.dag import PrerequisiteMap
from models.policy.errors import CyclicPrerequisitesError, PolicyError, UnknownGoalError
from models.policy.mastery import (
    AbilityAware,
    KTMasteryTracker,
    LearnerState,
    MasteryEstimator,
    PriorEstimator,
    item_offsets_from_log,
)
from models.policy.planner import LearningPath, PathPlanner, PathStep
from models.policy.reranker import RankedItem, ZPDReranker

__all__ = [
    "AbilityAware",
    "AdaptivePolicy",
    "Catalog",
    "ContentItem",
    "CyclicPrerequisitesError",
    "KTMasteryTracker",
    "LearnerState",
    "LearningPath",
    "MasteryEstimator",
    "PathPlanner",
    "PathStep",
    "PolicyError",
    "PrerequisiteMap",
    "PriorEstimator",
    "RankedItem",
    "UnknownGoalError",
    "ZPDReranker",
    "item_offsets_from_log",
]
