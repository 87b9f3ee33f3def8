"""Instructor pages: roster mastery heat-map, learners at risk, item difficulty; experiment
reports (A/B analyses written by ``learnloop experiment report``)."""

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
MAX_ATTEMPTS = 200
MAX_LEARNERS = 60


async def _course_skills(api: Api, course_id: str | None) -> list[str] | None:
    if not course_id:
        return None
    course = await api.get(f"/catalog/courses/{course_id}")
    skills = [o["skill"] for lesson in course.get("lessons", []) for o in lesson["objectives"]]
    return list(dict.fromkeys(skills))


async def _gather(api: Api, course_id: str | None) -> dict[str, Any]:
    """Attempts, responses, item prompts and learner mastery behind the teaching page."""
    listed = (await api.get("/assessments", course_id=course_id, limit=100))["data"]
    attempts: list[dict[str, Any]] = []
    prompts: dict[str, str] = {}
    for assessment in listed:
        page = await api.get("/assessments/attempts", assessment_id=assessment["id"], limit=100)
        attempts.extend(page["data"])
        detail = await api.get(f"/assessments/{assessment['id']}")
        prompts.update({i["id"]: i["prompt"] for i in detail["items"]})
    attempts = attempts[:MAX_ATTEMPTS]
    responses = []
    for attempt in attempts:
        responses.extend((await api.get(f"/assessments/attempts/{attempt['id']}"))["responses"])
    learners = sorted({a["learner_id"] for a in attempts})[:MAX_LEARNERS]
    mastery = {
        learner: (await api.get(f"/progress/learners/{learner}"))["skills"] for learner in learners
    }
    return {"attempts": attempts, "responses": responses, "prompts": prompts,
            "learners": learners, "mastery": mastery}  # fmt: skip


@router.get("/teach")
async def teach(request: Request, user: Instructor, course: str | None = None) -> Response:
    async with Api(request, user.token) as api:
        courses = (await api.get("/catalog/courses", limit=100))["data"]
        course_id = course if course in {c["id"] for c in courses} else None
        skills = await _course_skills(api, course_id)
        data = await _gather(api, course_id)
    table = roster(data["learners"], data["mastery"], skills)
    return render(
        request, "teach.html", user=user, courses=courses, course_id=course_id, table=table,
        heat=heat, risky=at_risk(table, data["attempts"]),
        items=item_difficulty(data["responses"], data["prompts"]),
        attempt_count=len(data["attempts"]),
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
