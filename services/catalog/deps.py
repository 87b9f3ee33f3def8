"""CCS dependencies: object store, LTI tool, subject handler."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.catalog.lti.tool import LtiTool
from services.catalog.objectstore import ObjectStore
from services.common.deps import PlatformDep

OBJECT_STORE = "catalog.object_store"
LTI_TOOL = "catalog.lti_tool"


def get_object_store(platform: PlatformDep) -> ObjectStore:
    """Where assets are stored."""
    store: ObjectStore = platform.resources[OBJECT_STORE]
    return store


def get_lti_tool(platform: PlatformDep) -> LtiTool:
    """The LTI 1.3 tool."""
    return platform.resource(LTI_TOOL, LtiTool)


ObjectStoreDep = Annotated[ObjectStore, Depends(get_object_store)]
LtiToolDep = Annotated[LtiTool, Depends(get_lti_tool)]
