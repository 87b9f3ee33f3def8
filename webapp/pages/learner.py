"""Learner pages: next up (RES) and the learning path (LPS), catalog items, assessments,
mastery per skill, notifications."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from services.common.principal import Role
from services.gateway.recommendations import recent_history
from webapp import serving
from webapp.api import Api, ApiError
from webapp.charts import PLOT_WIDTH, chart_height, mastery_bars
from webapp.rendering import redirect, render
from webapp.session import PREFIX, Csrf, User, platform_of, require

router = APIRouter()
Learner = Annotated[User, require(Role.LEARNER)]
Anyone = Annotated[User, require(Role.LEARNER, Role.INSTRUCTOR, Role.DATA_SCIENTIST)]
COURSE_COOKIE = "ll_course"
NEXT_UP = 5


async def _course(api: Api, request: Request, wanted: str | None) -> tuple[list[Any], str | None]:
    courses = (await api.get("/catalog/courses", limit=100))["data"]
    ids = [c["id"] for c in courses]
    for candidate in (wanted, request.cookies.get(COURSE_COOKIE)):
        if candidate in ids:
            return courses, candidate
    return courses, ids[0] if ids else None


async def _titles(api: Api, item_ids: list[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for item_id in item_ids:
        try:
            found[item_id] = await api.get(f"/catalog/items/{item_id}")
        except ApiError:
            found[item_id] = {"id": item_id, "title": item_id, "kind": "item"}
    return found


def path_progress(path: dict[str, Any], mastery: dict[str, float]) -> list[dict[str, Any]]:
    """The path's steps with the learner's current mastery and whether each is done."""
    steps = []
    for step in path.get("steps", []):
        now = mastery.get(step["skill"], step["start_mastery"])
        steps.append({**step, "mastery": now, "done": now >= step["target_mastery"]})
    return steps


@router.get("/learn")
async def next_up(request: Request, user: Learner, course: str | None = None) -> Response:
    settings = platform_of(request).settings
    async with Api(request, user.token) as api:
        courses, course_id = await _course(api, request, course)
        history = await to_thread.run_sync(recent_history, platform_of(request), user.id)
        rec = await serving.recommend(settings, user.id, course_id, NEXT_UP, history)
        items = (rec.data or {}).get("items", [])
        details = await _titles(api, [i["item_id"] for i in items])
        mine = (await api.get("/progress/me"))["skills"]
    path = await serving.latest_path(settings, user.id)
    mastery = {row["skill_id"]: row["mastery"] for row in mine}
    response = render(
        request, "learn.html", user=user, courses=courses, course_id=course_id,
        recommendation=rec, items=items, details=details, path=path,
        steps=path_progress(path.data or {}, mastery),
    )  # fmt: skip
    if course_id:
        response.set_cookie(COURSE_COOKIE, course_id, path=PREFIX, samesite="lax", httponly=True)
    return response


@router.post("/learn/path", dependencies=[Csrf])
async def plan(request: Request, user: Learner, course_id: Annotated[str, Form()] = "") -> Response:
    planned = await serving.plan_path(platform_of(request).settings, user.id, course_id or None)
    if planned.data is None:
        return render(request, "error.html", user=user, status=503, title="No path", needed="",
                      message=planned.problem)  # fmt: skip
    return redirect(request, f"{PREFIX}/learn#path")


@router.get("/items/{item_id}")
async def item(request: Request, user: Anyone, item_id: str) -> Response:
    async with Api(request, user.token) as api:
        try:
            found = await api.get(f"/catalog/items/{item_id}")
        except ApiError as exc:
            return render(request, "error.html", user=user, status=exc.status, title="Not found",
                          needed="", message=exc.detail)  # fmt: skip
    return render(request, "item.html", user=user, item=found)


@router.get("/assessments")
async def assessments(request: Request, user: Learner) -> Response:
    async with Api(request, user.token) as api:
        listed = (await api.get("/assessments", limit=100))["data"]
        attempts = (await api.get("/assessments/attempts", limit=100))["data"]
    open_attempts = {a["assessment_id"]: a for a in attempts if a["status"] == "in_progress"}
    return render(request, "assessments.html", user=user, assessments=listed, open=open_attempts)


@router.post("/assessments/{assessment_id}/start", dependencies=[Csrf])
async def start(request: Request, user: Learner, assessment_id: str) -> Response:
    async with Api(request, user.token) as api:
        try:
            attempt = await api.post(f"/assessments/{assessment_id}/attempts")
        except ApiError as exc:
            return render(request, "error.html", user=user, status=exc.status,
                          title="Cannot start", needed="", message=exc.detail)  # fmt: skip
    return redirect(request, f"{PREFIX}/attempts/{attempt['id']}")


async def _attempt(api: Api, attempt_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    attempt = await api.get(f"/assessments/attempts/{attempt_id}")
    assessment = await api.get(f"/assessments/{attempt['assessment_id']}")
    return attempt, assessment


def _results(attempt: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["item_id"]: r for r in attempt.get("responses", [])}


@router.get("/attempts/{attempt_id}")
async def take(request: Request, user: Learner, attempt_id: str) -> Response:
    async with Api(request, user.token) as api:
        attempt, assessment = await _attempt(api, attempt_id)
    return render(request, "attempt.html", user=user, attempt=attempt, assessment=assessment,
                  results=_results(attempt), errors={})  # fmt: skip


@router.post("/attempts/{attempt_id}/answer", dependencies=[Csrf])
async def answer(
    request: Request,
    user: Learner,
    attempt_id: str,
    item_id: Annotated[str, Form(max_length=64)],
    response: Annotated[list[str], Form()] = [],  # noqa: B006
) -> Response:
    text = ",".join(r.strip() for r in response if r.strip())
    errors: dict[str, str] = {}
    async with Api(request, user.token) as api:
        if not text:
            errors[item_id] = "Enter an answer first."
        else:
            try:
                await api.post(f"/assessments/attempts/{attempt_id}/answers",
                               {"item_id": item_id, "response": text})  # fmt: skip
            except ApiError as exc:
                errors[item_id] = exc.detail
        attempt, assessment = await _attempt(api, attempt_id)
    if request.headers.get("hx-request"):
        (one,) = [i for i in assessment["items"] if i["id"] == item_id]
        return render(request, "_item.html", user=user, attempt=attempt, item=one,
                      results=_results(attempt), errors=errors, swapped=True)  # fmt: skip
    if errors:
        return render(request, "attempt.html", user=user, attempt=attempt, assessment=assessment,
                      results=_results(attempt), errors=errors, status=400)  # fmt: skip
    return redirect(request, f"{PREFIX}/attempts/{attempt_id}#item-{item_id}")


@router.post("/attempts/{attempt_id}/submit", dependencies=[Csrf])
async def submit(request: Request, user: Learner, attempt_id: str) -> Response:
    async with Api(request, user.token) as api:
        try:
            await api.post(f"/assessments/attempts/{attempt_id}/submit")
        except ApiError as exc:
            return render(request, "error.html", user=user, status=exc.status,
                          title="Cannot submit", needed="", message=exc.detail)  # fmt: skip
    return redirect(request, f"{PREFIX}/mastery")


@router.get("/mastery")
async def mastery(request: Request, user: Learner) -> Response:
    async with Api(request, user.token) as api:
        progress = await api.get("/progress/me")
    bars = mastery_bars([(s["skill_id"], s["mastery"]) for s in progress["skills"]])
    return render(request, "mastery.html", user=user, progress=progress, bars=bars,
                  height=chart_height(bars), plot_width=PLOT_WIDTH)  # fmt: skip


@router.get("/inbox")
async def inbox(request: Request, user: Anyone) -> Response:
    async with Api(request, user.token) as api:
        page = await api.get("/notifications", limit=50)
    return render(request, "inbox.html", user=user, page=page)


@router.post("/inbox/read", dependencies=[Csrf])
async def read(
    request: Request, user: Anyone, notification_id: Annotated[str, Form()] = ""
) -> Response:
    async with Api(request, user.token) as api:
        if notification_id:
            await api.post(f"/notifications/{notification_id}/read")
        else:
            await api.post("/notifications/read-all")
    return redirect(request, f"{PREFIX}/inbox")
