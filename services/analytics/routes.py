"""ARS endpoints (``/analytics``): reports with filters and paging, CSV/Parquet export, staff."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.concurrency import run_in_threadpool

from learnloop.web import problem_responses
from services.analytics.deps import EngineDep, ScopeDep, StaffDep
from services.analytics.engine import AnalyticsFilter
from services.analytics.queries import REPORTS, Report, UnknownReportError, get_report
from services.analytics.schemas import (
    ReportInfo,
    ReportPage,
    ReportsPublic,
    StaffList,
    StaffPublic,
)
from services.common.deps import CurrentPrincipal, allowed
from services.common.errors import ForbiddenError, InvalidInputError, NotFoundError
from services.common.principal import Principal
from services.common.rbac import Action, is_allowed

router = APIRouter(prefix="/analytics", tags=["analytics"], responses=problem_responses(401, 403))
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
Ident = Annotated[str, Query(min_length=1, max_length=256)]


def _filters(
    date_from: date | None, date_to: date | None, course_id: list[str], learner_id: str | None
) -> AnalyticsFilter:
    try:
        return AnalyticsFilter(date_from, date_to, tuple(course_id), learner_id)
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="date_from") from None


def _report(name: str) -> Report:
    try:
        return get_report(name)
    except UnknownReportError as exc:
        raise NotFoundError(str(exc.args[0])) from None


@router.get("/reports", response_model=ReportsPublic, summary="Available analytics reports")
def list_reports(_scope: ScopeDep) -> ReportsPublic:
    return ReportsPublic(
        data=[
            ReportInfo(name=r.name, description=r.description, columns_sorted_by=list(r.order_by))
            for r in REPORTS.values()
        ]
    )


@router.get(
    "/reports/{name}",
    response_model=ReportPage,
    responses=problem_responses(404, 422),
    summary="One page of a report (instructors see their courses only)",
)
async def read_report(
    name: str,
    engine: EngineDep,
    scope: ScopeDep,
    date_from: date | None = None,
    date_to: date | None = None,
    course_id: Annotated[list[str], Query(max_length=100)] = [],  # noqa: B006
    learner_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ReportPage:
    report = _report(name)
    filters = _filters(date_from, date_to, course_id, learner_id)
    page = await run_in_threadpool(engine.page, report, filters, scope, limit=limit, offset=offset)
    return ReportPage(
        report=report.name, data=page.rows, count=page.total, limit=limit, offset=offset
    )


@router.get(
    "/reports/{name}/export",
    responses={
        200: {"content": {m: {} for m in MEDIA_TYPES.values()}},
        **problem_responses(404, 422),
    },
    response_class=Response,
    summary="The whole report as CSV or Parquet (for Tableau, Power BI)",
)
async def export_report(
    name: str,
    engine: EngineDep,
    scope: ScopeDep,
    format: Literal["csv", "parquet"] = "csv",
    date_from: date | None = None,
    date_to: date | None = None,
    course_id: Annotated[list[str], Query(max_length=100)] = [],  # noqa: B006
    learner_id: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    report = _report(name)
    filters = _filters(date_from, date_to, course_id, learner_id)
    payload = await run_in_threadpool(engine.export, report, format, filters, scope)
    filename = f"{report.name}.{format}"
    return Response(
        payload,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


StaffAdmin = Annotated[Principal, Depends(allowed(Action.ANALYTICS_STAFF))]


@router.get("/staff", response_model=StaffList, summary="Instructor assignments")
def list_staff(
    principal: CurrentPrincipal,
    staff: StaffDep,
    user_id: Annotated[str | None, Query(max_length=128)] = None,
) -> StaffList:
    if not is_allowed(principal, Action.ANALYTICS_STAFF):
        if user_id not in (None, principal.subject):
            raise ForbiddenError("you may only list your own course assignments")
        user_id = principal.subject
    return StaffList(data=[StaffPublic.model_validate(r) for r in staff.list(user_id=user_id)])


@router.put(
    "/staff/{course_id}/{user_id}",
    response_model=StaffPublic,
    summary="Make a user an instructor of a course (admin)",
)
def assign_staff(
    course_id: str, user_id: str, principal: StaffAdmin, staff: StaffDep
) -> StaffPublic:
    return StaffPublic.model_validate(staff.assign(course_id, user_id, by=principal.subject))


@router.delete(
    "/staff/{course_id}/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
    summary="Remove an instructor from a course (admin)",
)
def remove_staff(course_id: str, user_id: str, _admin: StaffAdmin, staff: StaffDep) -> Response:
    if not staff.remove(course_id, user_id):
        raise NotFoundError(f"{user_id} is not an instructor of {course_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
