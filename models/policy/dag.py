"""A prerequisite map (skill → its direct prerequisites) and the DAG queries policies need.

Policies take this plain mapping (``SkillGraph`` exports it, see
``knowledge_graph.SkillGraph.prerequisite_map``) so that ``models`` stays free of graph I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Sequence

from models.policy.errors import CyclicPrerequisitesError, UnknownGoalError


class PrerequisiteMap:
    """Immutable view of a prerequisite DAG.

    Parameters
    ----------
    prerequisites : mapping of str to sequence of str
        Direct prerequisites per skill; skills only named as prerequisites are added.
    """

    def __init__(self, prerequisites: Mapping[str, Sequence[str]]) -> None:
        parents: dict[str, tuple[str, ...]] = {}
        for skill, pre in prerequisites.items():
            parents[skill] = tuple(dict.fromkeys(pre))
            for p in pre:
                parents.setdefault(p, ())
        self.parents = parents
        children: dict[str, list[str]] = {s: [] for s in parents}
        for skill, pre in parents.items():
            for p in pre:
                children[p].append(skill)
        self.children = {s: tuple(sorted(c)) for s, c in children.items()}
        self.order = self._topological_order()
        self.rank = {s: i for i, s in enumerate(self.order)}

    def __contains__(self, skill: object) -> bool:
        return skill in self.parents

    def __len__(self) -> int:
        return len(self.parents)

    @property
    def skills(self) -> list[str]:
        """All skills, sorted."""
        return sorted(self.parents)

    def _topological_order(self) -> list[str]:
        indegree = {s: len(p) for s, p in self.parents.items()}
        ready = [s for s, d in indegree.items() if d == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            skill = heapq.heappop(ready)
            order.append(skill)
            for child in self.children[skill]:
                indegree[child] -= 1
                if indegree[child] == 0:
                    heapq.heappush(ready, child)
        if len(order) != len(self.parents):
            cycle = self._cycle({s for s, d in indegree.items() if d > 0})
            raise CyclicPrerequisitesError(
                "prerequisites contain a cycle: " + " -> ".join(cycle), cycle
            )
        return order

    def _cycle(self, stuck: set[str]) -> list[str]:
        """One cycle among the skills a topological sort could not place, prerequisite first
        and the first skill repeated at the end (each of them waits on a stuck prerequisite)."""
        seen: dict[str, int] = {}
        walk: list[str] = []
        skill = min(stuck)
        while skill not in seen:
            seen[skill] = len(walk)
            walk.append(skill)
            skill = min(p for p in self.parents[skill] if p in stuck)
        loop = walk[seen[skill] :][::-1]  # the walk went dependent -> prerequisite
        return [*loop, loop[0]]

    def require(self, skill: str) -> None:
        """Raise :class:`UnknownGoalError` (with near matches) for an unknown skill."""
        if skill not in self.parents:
            raise UnknownGoalError(skill, self.parents)

    def ancestors(self, skill: str) -> set[str]:
        """Every skill ``skill`` transitively depends on."""
        seen: set[str] = set()
        stack = list(self.parents.get(skill, ()))
        while stack:
            s = stack.pop()
            if s not in seen:
                seen.add(s)
                stack.extend(self.parents[s])
        return seen

    def closure(self, goals: Iterable[str], is_mastered: Callable[[str], bool]) -> list[str]:
        """Unmastered goals plus the unmastered prerequisites they still need, in DAG order.

        The walk stops at mastered skills. Unknown goals raise :class:`UnknownGoalError`.
        """
        needed: set[str] = set()
        stack = []
        for goal in goals:
            self.require(goal)
            if not is_mastered(goal):
                stack.append(goal)
        while stack:
            skill = stack.pop()
            if skill not in needed:
                needed.add(skill)
                stack.extend(p for p in self.parents[skill] if not is_mastered(p))
        return [s for s in self.order if s in needed]

    def unmet(self, skill: str, is_mastered: Callable[[str], bool]) -> list[str]:
        """Direct prerequisites of ``skill`` that are not mastered (empty for unknown skills)."""
        return [p for p in self.parents.get(skill, ()) if not is_mastered(p)]

    def frontier(self, is_mastered: Callable[[str], bool]) -> list[str]:
        """Unmastered skills whose prerequisites are all mastered, in DAG order."""
        return [
            s
            for s in self.order
            if not is_mastered(s) and all(is_mastered(p) for p in self.parents[s])
        ]

    def is_topological(self, sequence: Sequence[str]) -> bool:
        """Whether ``sequence`` lists no skill before one of its prerequisites in it."""
        position = {s: i for i, s in enumerate(sequence)}
        return all(
            position[p] < i
            for i, s in enumerate(sequence)
            for p in self.parents.get(s, ())
            if p in position
        )
