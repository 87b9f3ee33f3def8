"""Lookup errors of the simulator; both are ``KeyError`` subclasses naming the bad id."""

from __future__ import annotations


class UnknownLearnerError(KeyError):
    """No learner with this id in the simulated population."""

    def __init__(self, learner_id: str) -> None:
        self.learner_id = learner_id
        super().__init__(f"unknown learner id {learner_id!r}")


class UnknownItemError(KeyError):
    """No item with this id in the simulated item bank."""

    def __init__(self, item_id: str) -> None:
        self.item_id = item_id
        super().__init__(f"unknown item id {item_id!r}")
