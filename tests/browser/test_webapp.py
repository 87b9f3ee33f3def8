"""The web app in headless Chromium (Debian's chromium driven by Playwright): a learner signs in
with the keyboard only, gets a recommendation from a real RES process (``bentoml serve``),
answers an assessment item and sees mastery change; instructor and data-scientist pages render;
axe-core finds no serious or critical violation on any page. Screenshots go to
``test-artifacts/webapp/``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from testkit.browser import CHROMIUM, CHROMIUM_FLAGS
from testkit.gateway_harness import PASSWORD, service_settings

from features.events import LearningEvent, ProgressUpdateEvent
from features.lake import (
    PROGRESS_DATASET,
    PROGRESS_PARTITIONS,
    Lake,
    events_to_table,
    progress_to_table,
)
from learnloop.localstack import free_port
from learnloop.settings import Settings
from services.common.events import InProcessEventBus
from services.common.principal import Role
from services.gateway.app import create_gateway
from services.users import service as users_service
from services.users.deps import PASSWORDS
from services.users.schemas import UserCreate
from services.users.service import Passwords

from .webkit import (
    AXE,
    axe_violations,
    focused,
    serve_in_thread,
    shot,
    tab_until,
    wait_http_ready,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
EMAILS = {
    Role.ADMIN: "admin@example.com",
    Role.LEARNER: "learner@example.com",
    Role.INSTRUCTOR: "teacher@example.com",
    Role.DATA_SCIENTIST: "scientist@example.com",
}


@pytest.fixture(scope="module")
def site(dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Gateway (+ web app) on a real port, with the content pack imported, and RES running;
    LPS is deliberately not started (the path panel must degrade with a message)."""
    from learnloop.commands.serve import serving_process, wait_ready

    data_dir = tmp_path_factory.mktemp("web")
    res_port, grpc_port, lps_port = free_port(), free_port(), free_port()
    settings = service_settings(
        data_dir, f"sqlite:///{data_dir / 'web.db'}", dataset_dir,
        catalog={"import_content_on_start": True},
        serving={"res_port": res_port, "grpc_port": grpc_port, "lps_port": lps_port},
    )  # fmt: skip
    app = create_gateway(settings, bus=InProcessEventBus())
    env = {
        **os.environ,
        "LEARNLOOP_DATA_DIR": str(data_dir),
        "LEARNLOOP_DATASET_DIR": str(dataset_dir),
        "LEARNLOOP_SERVING__RES_PORT": str(res_port),
        "LEARNLOOP_SERVING__GRPC_PORT": str(grpc_port),
    }
    res = serving_process(
        "res", Settings(data_dir=data_dir), port=res_port, log_path=data_dir / "res.log", env=env
    )
    with serve_in_thread(app, free_port()) as url, res:  # both start at once
        wait_http_ready(url)  # the content pack is imported
        platform = app.state.platform
        passwords = platform.resource(PASSWORDS, Passwords)
        with platform.db.session() as session:
            for role, email in EMAILS.items():
                users_service.create_user_with_roles(
                    session, data=UserCreate(email=email, password=PASSWORD), roles=[role],
                    passwords=passwords,
                )  # fmt: skip
        wait_ready(res, f"http://127.0.0.1:{res_port}")
        yield {"url": url, "settings": settings}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run `scripts/system-deps.sh chromium` (make system-deps)")
    if not AXE.is_file():
        pytest.fail("axe-core is missing: run scripts/web-assets.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def new_page(browser: Any, problems: list[str]) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return page


def check_page(page: Any, name: str, audited: dict[str, list[Any]]) -> None:
    """Wait for the page's scripts, record axe's blocking violations and a screenshot."""
    page.wait_for_selector("body[data-ready='1']")
    audited[name] = axe_violations(page)
    shot(page, name)


def sign_in_with_keyboard(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/app/")
    assert page.url.endswith("/app/login")
    stops = tab_until(page, lambda f: f["id"] == "email")
    assert stops[0]["text"] == "Skip to main content"  # the first stop is the skip link
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/app/(learn|teach|models).*"))


def assessment_for(url: str, skill: str) -> dict[str, Any]:
    """The instructor (over the API) builds an assessment from two exercises of ``skill``."""
    client = httpx.Client(base_url=url, timeout=30)
    token = client.post(
        "/auth/token", json={"email": EMAILS[Role.INSTRUCTOR], "password": PASSWORD}
    ).json()["access_token"]
    exercises = client.get("/catalog/items", params={"skill": skill, "limit": 2}).json()["data"]
    created = client.post(
        "/assessments/from-catalog",
        json={"title": f"Practice: {skill}", "item_ids": [e["id"] for e in exercises]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def test_learner_flow_keyboard_only(site: dict[str, Any], browser: Any) -> None:
    """Sign in → next up (RES, with reasons) → assessment → answer → mastery, keyboard only."""
    url, problems, audited = site["url"], [], {}
    page = new_page(browser, problems)
    sign_in_with_keyboard(page, url, EMAILS[Role.LEARNER])

    # next up: RES answered with reasons; LPS is down and the page says so
    card = page.locator("[data-testid=recommendations] li").first
    assert card.locator(".reasons li").count() >= 1
    skill = card.get_attribute("data-skills").split()[0]
    prior = re.search(rf"Teaches {re.escape(skill)}, mastered (\d+)%", card.inner_text())
    assert prior, card.inner_text()
    assert "not reachable" in page.locator("#path").inner_text()
    check_page(page, "learner-next-up", audited)
    stops = tab_until(page, lambda f: f["href"].startswith("/app/items/"))
    assert all(s["outline"] for s in stops), [s for s in stops if not s["outline"]]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/app/items/.*"))
    assert "CC BY" in page.locator(".credit").inner_text()
    check_page(page, "learner-item", audited)

    created = assessment_for(url, skill)
    first = created["items"][0]
    key = first["answer"]
    tab_until(page, lambda f: f["text"] == "Assessments" and f["tag"] == "a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/app/assessments$"))
    check_page(page, "learner-assessments", audited)
    tab_until(page, lambda f: f["text"].startswith("Start") and created["title"] in f["text"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/app/attempts/.*"))
    check_page(page, "learner-attempt", audited)

    # answer the first item correctly with the keyboard; focus lands on the feedback
    if first["kind"] in ("single_choice", "multiple_choice"):
        correct = key["correct"] if isinstance(key["correct"], list) else [key["correct"]]
        tab_until(page, lambda f: f["name"] == "response")
        if first["kind"] == "single_choice":
            page.keyboard.press("Space")  # Tab focuses the first option; Space selects it
        for index in range(len(first["choices"])):
            if first["kind"] == "single_choice":
                if index:
                    page.keyboard.press("ArrowDown")
                if index == correct[0]:
                    break
            else:
                if index in correct:
                    page.keyboard.press("Space")
                page.keyboard.press("Tab")
    else:
        tab_until(page, lambda f: f["id"] == f"r-{first['id']}")
        page.keyboard.type(str(key.get("accepted", [key.get("value")])[0]))
    tab_until(page, lambda f: f["text"] == "Check answer")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#item-{first['id']} .result")
    feedback = page.locator(f"#item-{first['id']} .result").inner_text()
    assert feedback.startswith("Correct"), feedback
    assert focused(page)["role"] == "status"  # focus moved to the feedback
    check_page(page, "learner-answered", audited)

    tab_until(page, lambda f: f["text"] == "Finish and see my mastery")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/app/mastery$"))
    deadline = time.monotonic() + 30
    cell = page.locator(f"td[data-skill='{skill}']")
    while cell.count() == 0:  # progress is eventually consistent (the consumer runs async)
        assert time.monotonic() < deadline, "mastery did not change in time"
        time.sleep(0.5)
        page.reload()
    mastery = float(cell.inner_text().rstrip("%")) / 100
    assert mastery > int(prior.group(1)) / 100  # the answer raised the estimate RES showed
    assert page.locator("figure.chart svg[role=img] rect.bar").count() >= 1
    check_page(page, "learner-mastery", audited)

    # next up again: the exercise just answered is not offered again
    page.goto(f"{url}/app/learn")
    offered = page.locator("[data-testid=recommendations] li.card").evaluate_all(
        "cards => cards.map(c => c.dataset.item)"
    )
    assert offered and first["content_ref"].split("/")[0] not in offered, offered
    assert audited == {name: [] for name in audited}, audited
    assert problems == []


def course_in_lake(url: str, settings: Settings) -> tuple[str, str]:
    """A catalog course with answers and mastery of three learners in the lake (what the lake
    sink and feature pipeline write), and the instructor assigned to it by an admin; returns
    the course id and the struggling learner's id."""
    client = httpx.Client(base_url=url, timeout=30)
    course_id = client.get("/catalog/courses", params={"limit": 1}).json()["data"][0]["id"]
    now = datetime.now(UTC)
    events, progress = [], []
    for n, (learner, accuracy) in enumerate(
        [("lake-ann", 1.0), ("lake-bob", 2 / 3), ("lake-cy", 0.0)]
    ):
        for k in range(3):
            event = LearningEvent.model_validate({
                "learner_id": learner, "timestamp": now - timedelta(hours=3 - k, minutes=n),
                "verb": "answered", "object": {"id": f"step-{k}", "course_id": course_id},
                "skill_ids": ["skill-a" if k < 2 else "skill-b"],
                "result": {"correct": k < round(accuracy * 3)},
            })  # fmt: skip
            events.append(event)
        for skill, mastery in (("skill-a", 0.9 - 0.4 * n), ("skill-b", 0.8 - 0.35 * n)):
            progress.append(ProgressUpdateEvent(
                learner_id=learner, skill_id=skill, mastery=round(mastery, 2), model_name="bkt",
                model_version="1", cause_event_id=events[-1].event_id, timestamp=now,
            ))  # fmt: skip
    lake = Lake.from_uri(settings.lake_uri)
    lake.write_events(events_to_table(events))
    lake.write_table(
        PROGRESS_DATASET, progress_to_table(progress), partition_cols=PROGRESS_PARTITIONS
    )

    def token(role: Role) -> dict[str, str]:
        answer = client.post("/auth/token", json={"email": EMAILS[role], "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    teacher = client.get("/auth/userinfo", headers=token(Role.INSTRUCTOR)).json()["sub"]
    assigned = client.put(f"/analytics/staff/{course_id}/{teacher}", headers=token(Role.ADMIN))
    assert assigned.status_code == 200, assigned.text
    return course_id, "lake-cy"


def test_every_page_passes_axe(site: dict[str, Any], browser: Any) -> None:
    """Sign-in, register, item, inbox, instructor and data-scientist pages: no serious or
    critical axe-core violation; the instructor sees a struggling learner; role checks hold."""
    url, problems, audited = site["url"], [], {}
    course_id, struggling = course_in_lake(url, site["settings"])
    page = new_page(browser, problems)
    page.goto(f"{url}/app/login")
    check_page(page, "sign-in", audited)
    page.goto(f"{url}/app/register")
    check_page(page, "register", audited)
    sign_in_with_keyboard(page, url, EMAILS[Role.INSTRUCTOR])
    assert page.url.endswith("/app/teach")
    assert page.locator("#course").input_value() == course_id  # the instructor's course
    heat = page.locator("[data-testid=heatmap]").inner_text()
    assert all(name in heat for name in ("lake-ann", "lake-bob", "lake-cy", "skill-a", "skill-b"))
    cy_row = page.locator("[data-testid=heatmap] tr", has_text=struggling).inner_text()
    assert "10%" in cy_row and "Mean" not in cy_row  # mastery 0.1 / 0.1 for lake-cy
    risky = page.locator("[data-testid=at-risk]").inner_text()
    assert f"{struggling}: mean mastery 10% (below 40%); accuracy 0% (below 50%)" in risky
    assert "lake-ann" not in risky
    difficulty = page.locator("[data-testid=item-difficulty] tbody tr").all_inner_texts()
    assert difficulty[0].startswith("step-2")  # answered right by one learner of three
    check_page(page, "instructor-teaching", audited)
    page.goto(f"{url}/app/items/oat-aaac80bvis1")  # a content-pack problem with LaTeX
    page.wait_for_selector("body[data-ready='1']")
    math = page.locator(".katex math").first  # KaTeX's MathML, read by screen readers
    assert math.get_attribute("xmlns") == "http://www.w3.org/1998/Math/MathML"
    assert page.locator(".katex .katex-html[aria-hidden=true]").count() >= 1
    assert "$$" not in page.inner_text("article")
    assert "CC BY" in page.locator(".credit").inner_text()
    check_page(page, "item-with-latex", audited)
    page.goto(f"{url}/app/teach/experiments")
    check_page(page, "instructor-experiments", audited)
    page.goto(f"{url}/app/inbox")
    check_page(page, "inbox", audited)
    page.goto(f"{url}/app/models")
    assert page.locator("h1").inner_text() == "Not allowed"  # instructors are not data scientists
    assert problems == [
        "Failed to load resource: the server responded with a status of 403 (Forbidden)"
    ]
    problems.clear()
    page.context.clear_cookies()

    sign_in_with_keyboard(page, url, EMAILS[Role.DATA_SCIENTIST])
    assert page.url.endswith("/app/models")
    assert "No champion yet" in page.inner_text("main")
    check_page(page, "data-scientist-models", audited)
    assert audited == {name: [] for name in audited}, audited
    assert problems == []
