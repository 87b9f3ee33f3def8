"""ARS dependencies: the report engine, the staff directory and the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.analytics.engine import AnalyticsEngine, Scope
from services.analytics.service import StaffDirectory, scope_for
from services.common.deps import CurrentPrincipal, PlatformDep

ENGINE = "analytics.engine"
STAFF = "analytics.staff"


def get_engine(platform: PlatformDep) -> AnalyticsEngine:
    """Reports over the platform's lake."""
    return platform.resource(ENGINE, AnalyticsEngine)


def get_staff(platform: PlatformDep) -> StaffDirectory:
    """Course → instructors."""
    return platform.resource(STAFF, StaffDirectory)


EngineDep = Annotated[AnalyticsEngine, Depends(get_engine)]
StaffDep = Annotated[StaffDirectory, Depends(get_staff)]


def get_scope(principal: CurrentPrincipal, staff: StaffDep) -> Scope:
    """What the caller may see (403 for learners)."""
    return scope_for(principal, staff)


ScopeDep = Annotated[Scope, Depends(get_scope)]
