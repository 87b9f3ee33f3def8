"""Domain errors of the skill graph (``ValueError`` subclasses: the CLI prints one line)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class GraphError(ValueError):
    """Base of the skill-graph errors."""


class CycleError(GraphError):
    """Adding a prerequisite edge would close a cycle; ``cycle`` lists it, first node repeated."""

    def __init__(self, prerequisite: str, dependent: str, cycle: Sequence[str]) -> None:
        self.prerequisite = prerequisite
        self.dependent = dependent
        self.cycle = list(cycle)
        super().__init__(
            f"prerequisite {prerequisite!r} -> {dependent!r} would create a cycle: "
            + " -> ".join(self.cycle)
        )


class UnknownSkillError(GraphError, KeyError):
    """A skill id that is not in the graph; the message suggests near matches."""

    def __init__(self, skill: str, known: Iterable[str] = ()) -> None:
        self.skill = skill
        self.suggestions = difflib.get_close_matches(skill, list(known), n=5, cutoff=0.6)
        hint = f"; did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown skill {skill!r}{hint}")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


def check_id(value: str) -> None:
    """Skill and content ids are non-empty strings."""
    if not isinstance(value, str) or not value.strip():
        raise GraphError(f"skill and content ids must be non-empty strings, got {value!r}")


def check_edge(prerequisite: str, dependent: str) -> None:
    """Both ids valid and different (a self-loop is the shortest cycle)."""
    check_id(prerequisite)
    check_id(dependent)
    if prerequisite == dependent:
        raise CycleError(prerequisite, dependent, [prerequisite, prerequisite])
