"""ARS tables (``ars_*``): which staff (instructors) teach which course."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, service_metadata, utcnow


class Base(DeclarativeBase):
    """Declarative base of the ARS tables."""

    metadata = service_metadata()


class CourseStaff(Base):
    """An instructor of a course: they may see that course's learners in analytics."""

    __tablename__ = "ars_course_staff"

    course_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    added_by: Mapped[str] = mapped_column(String(128))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
