"""Progress endpoints (``/progress``): per-learner, per-skill mastery (eventually consistent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool

from learnloop.web import problem_responses
from services.common.deps import CurrentPrincipal, IdPath, PlatformDep, TextPath, allowed_on_owner
from services.common.errors import NotFoundError
from services.common.principal import Principal
from services.common.rbac import Action, authorize
from services.progress.deps import STORE, TRACKER
from services.progress.schemas import LearnerProgress, ModelInfo, SkillMasteryPublic
from services.progress.store import ProgressStore, SkillMastery
from services.progress.tracker import MasteryTracker

router = APIRouter(prefix="/progress", tags=["progress"], responses=problem_responses(401, 403))


def _public(rows: list[SkillMastery]) -> list[SkillMasteryPublic]:
    return [
        SkillMasteryPublic(
            skill_id=r.skill_id,
            mastery=r.mastery,
            attempts=r.attempts,
            correct=r.correct,
            model=r.model,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


async def _progress(
    platform: PlatformDep, learner_id: IdPath, skill: str | None
) -> LearnerProgress:
    store: ProgressStore = platform.resources[STORE]
    rows = await run_in_threadpool(store.mastery, learner_id)
    if skill is not None:
        rows = [r for r in rows if r.skill_id == skill]
    return LearnerProgress(
        learner_id=learner_id,
        skills=_public(rows),
        as_of=max((r.updated_at for r in rows), default=None),
    )


@router.get("/me", response_model=LearnerProgress, summary="The caller's mastery per skill")
async def my_progress(
    platform: PlatformDep,
    principal: CurrentPrincipal,
    skill: Annotated[str | None, Query(max_length=256)] = None,
) -> LearnerProgress:
    authorize(principal, Action.PROGRESS_READ, principal.subject)
    return await _progress(platform, principal.subject, skill)


@router.get(
    "/learners/{learner_id}",
    response_model=LearnerProgress,
    summary="A learner's mastery per skill (self, instructors, data scientists, admins)",
)
async def learner_progress(
    learner_id: IdPath,
    platform: PlatformDep,
    _principal: Annotated[Principal, Depends(allowed_on_owner(Action.PROGRESS_READ, "learner_id"))],
    skill: Annotated[str | None, Query(max_length=256)] = None,
) -> LearnerProgress:
    return await _progress(platform, learner_id, skill)


@router.get(
    "/learners/{learner_id}/skills/{skill_id}",
    response_model=SkillMasteryPublic,
    responses=problem_responses(404),
    summary="Mastery of one skill",
)
async def skill_progress(
    learner_id: IdPath,
    skill_id: TextPath,
    platform: PlatformDep,
    _principal: Annotated[Principal, Depends(allowed_on_owner(Action.PROGRESS_READ, "learner_id"))],
) -> SkillMasteryPublic:
    progress = await _progress(platform, learner_id, skill_id)
    if not progress.skills:
        raise NotFoundError(f"no progress on skill {skill_id} yet")
    return progress.skills[0]


@router.get("/model", response_model=ModelInfo, summary="The knowledge-tracing model in use")
def model_info(platform: PlatformDep) -> ModelInfo:
    tracker = platform.resource(TRACKER, MasteryTracker)
    return ModelInfo(
        model_name=tracker.model_name,
        model_version=tracker.model_version,
        store=platform.settings.progress.backend,
    )
