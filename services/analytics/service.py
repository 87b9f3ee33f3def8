"""ARS domain logic: who may see which courses, and the course-staff directory."""

from __future__ import annotations

from sqlalchemy import delete, select

from services.analytics.engine import Scope
from services.analytics.models import CourseStaff
from services.common.db import Database, utcnow
from services.common.principal import Principal, Role
from services.common.rbac import Action, authorize

UNRESTRICTED = frozenset({Role.ADMIN, Role.DATA_SCIENTIST})


class StaffDirectory:
    """Course → instructors, kept by ARS (admins assign instructors to courses)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def courses_of(self, user_id: str) -> frozenset[str]:
        """Courses ``user_id`` teaches."""
        with self.db.session() as session:
            rows = session.scalars(
                select(CourseStaff.course_id).where(CourseStaff.user_id == user_id)
            )
            return frozenset(rows)

    def list(self, *, user_id: str | None = None) -> list[CourseStaff]:
        """Assignments, optionally of one user."""
        with self.db.session() as session:
            query = select(CourseStaff).order_by(CourseStaff.course_id, CourseStaff.user_id)
            if user_id is not None:
                query = query.where(CourseStaff.user_id == user_id)
            return list(session.scalars(query))

    def assign(self, course_id: str, user_id: str, *, by: str) -> CourseStaff:
        """Make ``user_id`` an instructor of ``course_id`` (idempotent)."""
        with self.db.session() as session:
            row = session.get(CourseStaff, (course_id, user_id))
            if row is None:
                row = CourseStaff(
                    course_id=course_id, user_id=user_id, added_by=by, added_at=utcnow()
                )
                session.add(row)
            return row

    def remove(self, course_id: str, user_id: str) -> bool:
        """Remove an assignment; False if there was none."""
        with self.db.session() as session:
            result = session.execute(
                delete(CourseStaff).where(
                    CourseStaff.course_id == course_id, CourseStaff.user_id == user_id
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]


def scope_for(principal: Principal, staff: StaffDirectory) -> Scope:
    """Admins and data scientists see everything, instructors their courses, learners nothing.

    ``analytics:read`` (RBAC policy) decides who may read at all (403 otherwise).
    """
    authorize(principal, Action.ANALYTICS_READ)
    if principal.roles & UNRESTRICTED:
        return Scope.everything()
    return Scope(staff.courses_of(principal.subject))
