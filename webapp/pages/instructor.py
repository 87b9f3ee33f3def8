"""Instructor pages: roster mastery heat-map, learners at risk and item difficulty of the
instructor's courses, from course-scoped analytics (ARS); experiment reports (A/B analyses
written by ``learnloop experiment report``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from services.common.principal import Role
from webapp.api import Api
from webapp.charts import heat
from webapp.mlops import html_reports, report_path
from webapp.rendering import render
from webapp.session import User, platform_of, require
from webapp.teaching import at_risk, item_difficulty, roster

router = APIRouter()
Instructor = Annotated[User, require(Role.INSTRUCTOR)]
Reader = Annotated[User, require(Role.INSTRUCTOR, Role.DATA_SCIENTIST)]
MAX_LEARNERS = 60


async def _courses(api: Api, user: User) -> list[dict[str, Any]]:
    """The courses whose analytics the user may read (instructors: their assigned courses)."""
    catalog = (await api.get("/catalog/courses", limit=100))["data"]
    if user.has(Role.DATA_SCIENTIST):  # admins and data scientists see every course
        return list(catalog)
    titles = {c["id"]: c["title"] for c in catalog}
    staff = (await api.get("/analytics/staff"))["data"]
    return [
        {"id": s["course_id"], "title": titles.get(s["course_id"], s["course_id"])} for s in staff
    ]


async def _report(api: Api, name: str, course_id: str, **filters: Any) -> list[dict[str, Any]]:
    page = await api.get(f"/analytics/reports/{name}", course_id=course_id, limit=1000, **filters)
    return list(page["data"])


async def _gather(api: Api, course_id: str) -> dict[str, Any]:
    """The course's learner activity, per-learner skill mastery and item statistics (ARS)."""
    activity = await _report(api, "learner_activity", course_id)
    busiest = sorted(activity, key=lambda r: (-int(r["answers"] or 0), str(r["learner_id"])))
    learners = [str(r["learner_id"]) for r in busiest[:MAX_LEARNERS]]
    mastery = {}
    for learner in learners:
        rows = await _report(api, "skill_mastery_distribution", course_id, learner_id=learner)
        mastery[learner] = [{"skill_id": r["skill_id"], "mastery": r["mean_mastery"]} for r in rows]
    items = await _report(api, "item_statistics", course_id)
    return {"activity": activity, "learners": learners, "mastery": mastery, "items": items}


@router.get("/teach")
async def teach(request: Request, user: Instructor, course: str | None = None) -> Response:
    async with Api(request, user.token) as api:
        courses = await _courses(api, user)
        ids = [c["id"] for c in courses]
        course_id = course if course in ids else (ids[0] if ids else None)
        data = await _gather(api, course_id) if course_id else None
    table = roster(data["learners"], data["mastery"], None) if data else None
    return render(
        request, "teach.html", user=user, courses=courses, course_id=course_id, table=table,
        heat=heat, risky=at_risk(table, data["activity"]) if data and table else [],
        items=item_difficulty(data["items"]) if data else [],
        learner_count=len(data["activity"]) if data else 0,
    )  # fmt: skip


@router.get("/teach/experiments")
async def experiments(request: Request, user: Reader) -> Response:
    folder = platform_of(request).settings.reports_dir
    return render(request, "experiments.html", user=user, reports=html_reports(folder))


@router.get("/reports/experiments/{name}")
async def experiment_report(request: Request, user: Reader, name: str) -> Response:
    path = report_path(platform_of(request).settings.reports_dir, name)
    if path is None:
        return render(request, "error.html", user=user, status=404, title="No such report",
                      needed="", message=name)  # fmt: skip
    return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-store"})
