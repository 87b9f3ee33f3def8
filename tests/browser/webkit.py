"""Helpers of the web app's browser tests: a gateway on a real port in a thread, axe-core,
keyboard walking and screenshots."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "webapp" / "assets" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts" / "webapp"
BLOCKING = ("serious", "critical")


@contextmanager
def serve_in_thread(app: FastAPI, port: int) -> Iterator[str]:
    """``app`` on a real HTTP port (uvicorn in a thread) until the context ends; returns at
    once (see :func:`wait_http_ready`) so other servers can start meanwhile."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="gateway", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_http_ready(url: str, timeout: float = 180.0) -> None:
    """Block until ``url``/readyz answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} not ready in time"
        time.sleep(0.3)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page (WCAG 2.1 A/AA and best practice)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/webapp/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


FOCUS_JS = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    return {tag: el.tagName.toLowerCase(),
            text: (el.innerText || el.value || '').trim().slice(0, 60),
            id: el.id, type: el.type || '', name: el.name || '',
            href: el.getAttribute('href') || '', role: el.getAttribute('role') || '',
            outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2};
}"""


def focused(page: Any) -> dict[str, Any] | None:
    """What has keyboard focus (with whether a visible focus outline is drawn)."""
    result: dict[str, Any] | None = page.evaluate(FOCUS_JS)
    return result


def tab_until(page: Any, match: Any, limit: int = 60) -> list[dict[str, Any]]:
    """Press Tab until ``match(focused)`` holds; the focus stops on the way (fails if never)."""
    stops: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None:
            continue
        stops.append(now)
        if match(now):
            return stops
    raise AssertionError(f"never reached by Tab; stops: {[s['text'] or s['id'] for s in stops]}")
