"""RES and LPS over HTTP(S) at the configured URLs; a page shows a clear message instead when a
service is not running or answers with an error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from learnloop.settings import Settings
from learnloop.web.security_tls import client_verify

TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Served:
    """A serving answer, or why there is none."""

    data: dict[str, Any] | None
    problem: str | None = None


async def _post(settings: Settings, url: str, body: dict[str, Any], name: str) -> Served:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, verify=client_verify(settings)) as client:
            response = await client.post(url, json=body)
    except httpx.HTTPError:
        return Served(None, f"{name} is not reachable right now; try again in a moment.")
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", "")
        except ValueError:
            detail = ""
        return Served(None, f"{name} could not answer ({response.status_code}). {detail}".strip())
    return Served(response.json())


async def recommend(
    settings: Settings, learner_id: str, course_id: str | None, k: int, history: list[str]
) -> Served:
    """RES: the next ``k`` items for the learner, with reasons (``history``: the items the
    learner answered last, oldest first; RES does not offer them again)."""
    body = {"learner_id": learner_id, "k": k, "course_id": course_id, "history": history}
    url = f"{settings.res_url}/recommendations"
    return await _post(settings, url, body, "The recommendation service")


async def plan_path(settings: Settings, learner_id: str, course_id: str | None) -> Served:
    """LPS: the learner's current path to the course's skills."""
    body = {"learner_id": learner_id, "course_id": course_id}
    return await _post(settings, f"{settings.lps_url}/paths", body, "The learning-path service")


async def latest_path(settings: Settings, learner_id: str) -> Served:
    """LPS: the learner's newest stored path (``data`` is ``{}`` when there is none)."""
    url = f"{settings.lps_url}/learners/{learner_id}/paths"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, verify=client_verify(settings)) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        return Served(None, "The learning-path service is not reachable right now.")
    if response.status_code >= 400:
        return Served(None, f"The learning-path service could not answer ({response.status_code}).")
    paths = response.json().get("data") or []
    return Served(paths[0] if paths else {})
