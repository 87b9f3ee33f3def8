"""The policy table: owners, roles, scopes (the HTTP matrix is in the integration suite)."""

from __future__ import annotations

import pytest

from learnloop.web import ProblemError
from services.common.principal import Principal, Role, parse_roles
from services.common.rbac import POLICY, Action, authorize, is_allowed, owner_scope


def who(*roles: Role, subject: str = "me") -> Principal:
    return Principal(subject=subject, roles=frozenset(roles), issuer="test")


def test_every_action_has_a_rule() -> None:
    assert set(POLICY) == set(Action)


def test_learners_reach_only_their_own_data() -> None:
    learner = who(Role.LEARNER)
    assert is_allowed(learner, Action.PROGRESS_READ, "me")
    assert not is_allowed(learner, Action.PROGRESS_READ, "someone-else")
    assert not is_allowed(learner, Action.PROGRESS_READ)
    assert owner_scope(learner, Action.ATTEMPT_READ) == "me"
    with pytest.raises(ProblemError) as caught:
        authorize(learner, Action.USER_READ, "someone-else")
    assert caught.value.status == 403
    assert "another user's data" in caught.value.detail


def test_staff_roles_see_across_owners() -> None:
    assert owner_scope(who(Role.ADMIN), Action.ATTEMPT_READ) is None
    assert owner_scope(who(Role.INSTRUCTOR), Action.ATTEMPT_READ) == "me"  # FERPA: own only
    assert is_allowed(who(Role.DATA_SCIENTIST), Action.PROGRESS_READ, "anyone")
    assert not is_allowed(who(Role.DATA_SCIENTIST), Action.ATTEMPT_READ, "anyone")
    assert not is_allowed(who(Role.INSTRUCTOR), Action.USER_SET_ROLES)
    assert all(
        is_allowed(who(Role.ADMIN), action, "anyone")
        for action in Action
        if action != Action.ATTEMPT_CREATE
    )


def test_nobody_starts_attempts_for_someone_else() -> None:
    for role in Role:
        assert not is_allowed(who(role), Action.ATTEMPT_CREATE, "other")
        assert is_allowed(who(role), Action.ATTEMPT_CREATE, "me")


def test_no_roles_means_no_access() -> None:
    nobody = who()
    assert not any(is_allowed(nobody, action, "me") for action in Action)


def test_parse_roles_ignores_unknown_names() -> None:
    assert parse_roles(["admin", "root", 3]) == {Role.ADMIN}
    assert parse_roles("learner instructor") == {Role.LEARNER, Role.INSTRUCTOR}
    assert parse_roles(None) == frozenset()
