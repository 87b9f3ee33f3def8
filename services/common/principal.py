"""Who is calling: the identity and roles carried by a verified access token."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Platform roles (see :mod:`services.common.rbac` for what each may do)."""

    LEARNER = "learner"
    INSTRUCTOR = "instructor"
    DATA_SCIENTIST = "data_scientist"
    ADMIN = "admin"


def parse_roles(values: object) -> frozenset[Role]:
    """Known roles among ``values`` (unknown names are ignored, never trusted)."""
    if isinstance(values, str):
        values = values.replace(",", " ").split()
    if not isinstance(values, list | tuple | set | frozenset):
        return frozenset()
    return frozenset(Role(v) for v in values if isinstance(v, str) and v in Role._value2member_map_)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``subject`` is the learnloop user id (also for federated users)."""

    subject: str
    roles: frozenset[Role]
    issuer: str
    token_id: str | None = None
    external_subject: str | None = None
    claims: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def federated(self) -> bool:
        """True when the token came from an external issuer."""
        return self.external_subject is not None
