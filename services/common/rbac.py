"""Role-based access control: the one policy table every endpoint is checked against.

Catalog reads are public (openly licensed content, CDN-cacheable) and need no rule.
A rule names the roles allowed on *any* resource of an action and the roles allowed only on
resources they *own* (their own profile, attempts, progress). :func:`authorize` is the single
check; :func:`owner_scope` tells list endpoints whether to filter to the caller's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from learnloop.web import ProblemError
from services.common.principal import Principal, Role


class Action(StrEnum):
    """Everything an endpoint can do, as checked by :func:`authorize`."""

    USER_READ = "user:read"
    USER_UPDATE = "user:update"
    USER_LIST = "user:list"
    USER_SET_ROLES = "user:set_roles"
    PRIVACY_EXPORT = "privacy:export"
    PRIVACY_ERASE = "privacy:erase"
    AUDIT_READ = "audit:read"
    KEYS_ROTATE = "keys:rotate"
    CATALOG_WRITE = "catalog:write"
    LTI_ADMIN = "lti:admin"
    LTI_GRADE = "lti:grade"
    ASSESSMENT_READ = "assessment:read"
    ASSESSMENT_AUTHOR = "assessment:author"
    ATTEMPT_CREATE = "attempt:create"
    ATTEMPT_READ = "attempt:read"
    PROGRESS_READ = "progress:read"
    ANALYTICS_READ = "analytics:read"
    ANALYTICS_STAFF = "analytics:staff"
    NOTIFICATIONS_ADMIN = "notifications:admin"
    SUBSCRIPTION_READ = "subscription:read"
    EVENTS_WRITE = "events:write"


LEARNER, INSTRUCTOR, SCIENTIST, ADMIN = (
    Role.LEARNER,
    Role.INSTRUCTOR,
    Role.DATA_SCIENTIST,
    Role.ADMIN,
)
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Rule:
    """Roles allowed on any resource, and roles allowed only on their own."""

    any: frozenset[Role]
    own: frozenset[Role] = frozenset()


POLICY: dict[Action, Rule] = {
    Action.USER_READ: Rule(any=frozenset({ADMIN}), own=EVERYONE),
    Action.USER_UPDATE: Rule(any=frozenset({ADMIN}), own=EVERYONE),
    Action.USER_LIST: Rule(any=frozenset({ADMIN})),
    Action.USER_SET_ROLES: Rule(any=frozenset({ADMIN})),
    Action.PRIVACY_EXPORT: Rule(any=frozenset({ADMIN}), own=EVERYONE),
    Action.PRIVACY_ERASE: Rule(any=frozenset({ADMIN}), own=EVERYONE),
    Action.AUDIT_READ: Rule(any=frozenset({ADMIN})),
    Action.KEYS_ROTATE: Rule(any=frozenset({ADMIN})),
    Action.CATALOG_WRITE: Rule(any=frozenset({INSTRUCTOR, ADMIN})),
    Action.LTI_ADMIN: Rule(any=frozenset({ADMIN})),
    Action.LTI_GRADE: Rule(any=frozenset({INSTRUCTOR, ADMIN})),
    Action.ASSESSMENT_READ: Rule(any=EVERYONE),
    Action.ASSESSMENT_AUTHOR: Rule(any=frozenset({INSTRUCTOR, ADMIN})),
    Action.ATTEMPT_CREATE: Rule(any=frozenset(), own=EVERYONE),
    # FERPA: instructors see learners only through course-scoped analytics (their courses),
    # never another learner's raw attempts or progress.
    Action.ATTEMPT_READ: Rule(any=frozenset({ADMIN}), own=EVERYONE),
    Action.PROGRESS_READ: Rule(any=frozenset({SCIENTIST, ADMIN}), own=EVERYONE),
    # Instructors' analytics are further limited to their courses (services.analytics.service).
    Action.ANALYTICS_READ: Rule(any=frozenset({INSTRUCTOR, SCIENTIST, ADMIN})),
    Action.ANALYTICS_STAFF: Rule(any=frozenset({ADMIN})),
    Action.NOTIFICATIONS_ADMIN: Rule(any=frozenset({ADMIN})),
    Action.SUBSCRIPTION_READ: Rule(any=frozenset({ADMIN}), own=EVERYONE),
    # Learning events of other learners: simulators, LMS bridges and pipelines (staff roles).
    Action.EVENTS_WRITE: Rule(any=frozenset({SCIENTIST, ADMIN}), own=EVERYONE),
}


def is_allowed(principal: Principal, action: Action, owner_id: str | None = None) -> bool:
    """True when ``principal`` may perform ``action`` (on a resource owned by ``owner_id``)."""
    rule = POLICY[action]
    if principal.roles & rule.any:
        return True
    return (
        owner_id is not None and owner_id == principal.subject and bool(principal.roles & rule.own)
    )


def authorize(principal: Principal, action: Action, owner_id: str | None = None) -> None:
    """Raise a 403 problem unless ``principal`` may perform ``action``."""
    if not is_allowed(principal, action, owner_id):
        roles = ", ".join(sorted(principal.roles)) or "none"
        raise ProblemError(
            403,
            f"role(s) {roles} may not {action.value}"
            + (" on another user's data" if owner_id is not None else ""),
            slug="forbidden",
        )


def owner_scope(principal: Principal, action: Action) -> str | None:
    """None when the caller may see every owner's rows, else the caller's id to filter on."""
    authorize(principal, action, principal.subject)
    return None if principal.roles & POLICY[action].any else principal.subject
