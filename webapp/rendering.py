"""Jinja2 rendering of pages: shared context (user, CSRF token, navigation, asset URLs),
security headers and no-store caching for personal pages."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from features.datasets.content_pack import ATTRIBUTION
from services.common.principal import Role
from webapp.explain import explain_all
from webapp.session import PREFIX, User, csrf_token, finish

HERE = Path(__file__).parent
STATIC = HERE / "static"
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
NAV: list[tuple[str, str, tuple[Role, ...]]] = [
    ("Next up", "/learn", (Role.LEARNER,)),
    ("Assessments", "/assessments", (Role.LEARNER,)),
    ("My mastery", "/mastery", (Role.LEARNER,)),
    ("Inbox", "/inbox", (Role.LEARNER, Role.INSTRUCTOR, Role.DATA_SCIENTIST)),
    ("Teaching", "/teach", (Role.INSTRUCTOR,)),
    ("Experiments", "/teach/experiments", (Role.INSTRUCTOR, Role.DATA_SCIENTIST)),
    ("Models", "/models", (Role.DATA_SCIENTIST,)),
]


@cache
def _digest(path: str) -> str:
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


def asset(path: str) -> str:
    """URL of a static file, versioned by content (so it can be cached for a year)."""
    try:
        return f"{PREFIX}/static/{path}?v={_digest(path)}"
    except FileNotFoundError:
        return f"{PREFIX}/static/{path}"


def vendored(path: str) -> bool:
    """True when ``scripts/web-assets.sh`` fetched ``vendor/<path>``."""
    return (STATIC / "vendor" / path).is_file()


def plain(text: str | None) -> str:
    """One line of content-pack text: escaped newlines and ``##figure`` placeholders removed."""
    return " ".join(re.sub(r"##\S+", " ", (text or "").replace("\\n", "\n")).split())


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(asset=asset, vendored=vendored, prefix=PREFIX, attribution=ATTRIBUTION)
ENV.filters.update(percent=percent, explain=explain_all, plain=plain)


def nav_for(user: User | None, path: str) -> list[dict[str, Any]]:
    """Navigation links the user may follow (``current`` marks this page)."""
    if user is None:
        return []
    links = []
    for label, href, roles in NAV:
        if user.has(*roles):
            url = PREFIX + href
            links.append({"label": label, "href": url, "current": path == url})
    return links


def render(
    request: Request, template: str, *, user: User | None = None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    """A full page (or an htmx fragment) from ``template``."""
    body = ENV.get_template(template).render(
        request=request,
        user=user,
        nav=nav_for(user, request.url.path),
        csrf_token=csrf_token(request),
        **ctx,
    )
    response = HTMLResponse(
        body,
        status_code=status,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store"},
    )
    finish(request, response)
    return response


def redirect(request: Request, url: str) -> Response:
    """303 See Other to ``url`` (after a form post), keeping renewed cookies."""
    response = RedirectResponse(url, status_code=303)
    finish(request, response)
    return response
