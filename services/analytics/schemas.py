"""ARS request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ReportInfo(BaseModel):
    """A report that can be queried and exported."""

    name: str
    description: str
    columns_sorted_by: list[str]


class ReportsPublic(BaseModel):
    """Every available report."""

    data: list[ReportInfo]


class ReportPage(BaseModel):
    """A page of a report's rows."""

    report: str
    data: list[dict[str, Any]]
    count: int
    limit: int
    offset: int


class StaffPublic(BaseModel):
    """An instructor assignment."""

    model_config = ConfigDict(from_attributes=True)

    course_id: str
    user_id: str
    added_by: str
    added_at: datetime


class StaffList(BaseModel):
    """Instructor assignments."""

    data: list[StaffPublic]
