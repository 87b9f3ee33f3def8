"""The small HTML pages of LTI launches (shown inside the LMS frame)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse

from features.datasets.content_pack import ATTRIBUTION


def _page(title: str, body: str, frame_origin: str | None) -> HTMLResponse:
    ancestors = f"'self' {frame_origin}" if frame_origin else "'self'"
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"</head><body>{body}</body></html>",
        headers={
            "Content-Security-Policy": f"default-src 'self'; frame-ancestors {ancestors}; "
            "form-action *; script-src 'unsafe-inline'",
            "Cache-Control": "no-store",
        },
    )


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def item_page(
    *, launch_id: str, title: str, body: str, attribution: str | None, frame_origin: str | None
) -> HTMLResponse:
    """The launched item."""
    credit = f"<footer><small>{escape(attribution or ATTRIBUTION)}</small></footer>"
    return _page(
        title,
        f"<main data-launch-id='{escape(launch_id)}'><h1>{escape(title)}</h1>"
        f"<div>{escape(body)}</div></main>{credit}",
        frame_origin,
    )


def picker_page(
    *, launch_id: str, action: str, items: list[tuple[str, str]], frame_origin: str | None
) -> HTMLResponse:
    """Deep linking: choose catalog items to add to the course."""
    options = "".join(
        f"<label><input type='checkbox' name='item_id' value='{escape(i)}'>{escape(t)}</label><br>"
        for i, t in items
    )
    return _page(
        "Add learnloop content",
        f"<form method='post' action='{escape(action)}' data-launch-id='{escape(launch_id)}'>"
        f"{options}<button type='submit'>Add</button></form>"
        f"<footer><small>{escape(ATTRIBUTION)}</small></footer>",
        frame_origin,
    )


def auto_post_page(*, url: str, jwt_value: str, frame_origin: str | None) -> HTMLResponse:
    """Send the deep-linking response back to the LMS (auto-submitting form)."""
    return _page(
        "Returning to the LMS",
        f"<form id='dl' method='post' action='{escape(url)}'>"
        f"<input type='hidden' name='JWT' value='{escape(jwt_value)}'>"
        "<noscript><button type='submit'>Continue</button></noscript></form>"
        "<script>document.getElementById('dl').submit()</script>",
        frame_origin,
    )
