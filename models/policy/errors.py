"""Domain errors of the policies (``ValueError`` subclasses, so the CLI prints one line)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


class PolicyError(ValueError):
    """Base of the policy errors."""


class UnknownGoalError(PolicyError, KeyError):
    """A goal skill that is not in the skill graph; the message suggests near matches."""

    def __init__(self, skill: str, known: Iterable[str] = ()) -> None:
        self.skill = skill
        self.suggestions = difflib.get_close_matches(skill, sorted(known), n=5, cutoff=0.6)
        hint = f"; did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown goal skill {skill!r}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


class CyclicPrerequisitesError(PolicyError):
    """The prerequisite map given to a policy has a cycle (it must be a DAG); ``cycle`` lists
    one, prerequisite first, first skill repeated."""

    def __init__(self, message: str, cycle: Sequence[str] = ()) -> None:
        self.cycle = list(cycle)
        super().__init__(message)
