"""Content the policies choose from: items with their skills, expected minutes and priors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from models.policy.errors import PolicyError


@dataclass(frozen=True)
class ContentItem:
    """One practice item.

    Attributes
    ----------
    id : str
    skills : tuple of str
        Skills the item exercises (primary first).
    minutes : float
        Expected time on task (default 1).
    p_correct_prior : float or None
        Population success rate, used when no learner model is available (cold start).
    popularity : float
        Relative usage (any non-negative scale), a cold-start tie-breaker.
    """

    id: str
    skills: tuple[str, ...]
    minutes: float = 1.0
    p_correct_prior: float | None = None
    popularity: float = 0.0


class Catalog:
    """Items by id and by skill."""

    def __init__(self, items: Iterable[ContentItem]) -> None:
        self.items: dict[str, ContentItem] = {}
        by_skill: dict[str, list[ContentItem]] = defaultdict(list)
        for item in items:
            if not item.skills:
                raise PolicyError(f"content item {item.id!r} has no skills")
            if item.minutes <= 0:
                raise PolicyError(
                    f"content item {item.id!r} has minutes={item.minutes}; must be > 0"
                )
            self.items[item.id] = item
            for skill in item.skills:
                by_skill[skill].append(item)
        self.by_skill = dict(by_skill)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[ContentItem]:
        return iter(self.items.values())

    def __getitem__(self, item_id: str) -> ContentItem:
        try:
            return self.items[item_id]
        except KeyError:
            raise PolicyError(f"unknown content item {item_id!r}") from None

    def for_skill(self, skill: str) -> list[ContentItem]:
        """Items exercising ``skill`` (primary or secondary)."""
        return list(self.by_skill.get(skill, ()))
