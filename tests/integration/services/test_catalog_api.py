"""Catalog over HTTP: content-pack import, search/filter/paging, ETags, authoring, SCORM upload,
assets in the object store, RSS provider, attribution."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from testkit.gateway_harness import Gateway
from testkit.scorm_packages import (
    MANIFEST_12,
    XXE_MANIFEST,
    build_zip,
    scorm12_package,
    scorm2004_package,
)

from features.datasets.content_pack import ATTRIBUTION
from services.catalog.importer import import_content_pack
from services.common.principal import Role

pytestmark = pytest.mark.integration
COURSES = ("Data 8 Discussion Worksheets", "Matematik 4")


@pytest.fixture(scope="module")
def mini_pack(dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two courses of the real content pack (96 problems)."""
    source, target = dataset_dir / "content", tmp_path_factory.mktemp("pack")
    courses = json.loads((source / "courses.json").read_text())
    courses["courses"] = [c for c in courses["courses"] if c["course"] in COURSES]
    (target / "courses.json").write_text(json.dumps(courses))
    (target / "skills.json").write_text((source / "skills.json").read_text())
    with (source / "problems.jsonl").open() as src, (target / "problems.jsonl").open("w") as dst:
        dst.writelines(line for line in src if json.loads(line)["course"] in COURSES)
    return target


@pytest.fixture(scope="module")
def catalog(gateway: Gateway, mini_pack: Path) -> Gateway:
    with gateway.platform.db.session() as session:
        report = import_content_pack(session, mini_pack)
    assert (report.courses, report.items, report.skipped) == (2, 96, False)
    return gateway


def test_import_is_idempotent(catalog: Gateway, mini_pack: Path) -> None:
    with catalog.platform.db.session() as session:
        assert import_content_pack(session, mini_pack).skipped
        forced = import_content_pack(session, mini_pack, force=True)
    assert forced.items == 96
    assert catalog.client.get("/catalog/items", params={"limit": 1}).json()["count"] >= 96


def test_courses_lessons_taxonomy(catalog: Gateway) -> None:
    courses = catalog.client.get("/catalog/courses").json()
    ids = {c["id"] for c in courses["data"]}
    assert {"data-8-discussion-worksheets", "matematik-4"} <= ids
    detail = catalog.client.get("/catalog/courses/data-8-discussion-worksheets").json()
    assert detail["item_count"] == 49 and detail["lessons"]
    assert detail["lessons"][0]["objectives"][0]["mastery_threshold"] == 0.85
    assert "data-science" in detail["terms"]
    assert ATTRIBUTION in detail["attribution"]
    taxonomy = catalog.client.get("/catalog/taxonomy").json()["data"]
    assert {
        "id": "data-science",
        "name": "Data science",
        "parent_id": None,
        "course_count": 1,
    } in taxonomy
    filtered = catalog.client.get("/catalog/courses", params={"term": "data-science"}).json()
    assert [c["id"] for c in filtered["data"]] == ["data-8-discussion-worksheets"]
    assert catalog.client.get("/catalog/courses/nope").status_code == 404


def test_item_search_filters_and_paging(catalog: Gateway) -> None:
    page1 = catalog.client.get(
        "/catalog/items", params={"course_id": "matematik-4", "limit": 20}
    ).json()
    page3 = catalog.client.get(
        "/catalog/items", params={"course_id": "matematik-4", "limit": 20, "offset": 40}
    ).json()
    assert page1["count"] == 47 and len(page1["data"]) == 20 and len(page3["data"]) == 7
    assert not {i["id"] for i in page1["data"]} & {i["id"] for i in page3["data"]}
    assert page1["attribution"] == ATTRIBUTION
    skill = page1["data"][0]["skills"][0]
    by_skill = catalog.client.get("/catalog/items", params={"skill": skill}).json()
    assert by_skill["count"] >= 1 and all(skill in i["skills"] for i in by_skill["data"])
    word = catalog.client.get("/catalog/items", params={"q": "rent"}).json()
    assert word["count"] >= 1
    assert all("rent" in (i["title"] + i["body"]).lower() for i in word["data"])
    odd = catalog.client.get("/catalog/items", params={"q": "100%_\\"}).json()
    assert odd["count"] == 0  # LIKE wildcards are escaped
    bad = catalog.client.get("/catalog/items", params={"limit": 0, "kind": "podcast"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"limit", "kind"}
    skills = catalog.client.get("/catalog/skills", params={"limit": 5}).json()
    assert skills["count"] > 5 and all(s["item_count"] >= 1 for s in skills["data"])


def test_etag_and_cache_headers(catalog: Gateway) -> None:
    first = catalog.client.get("/catalog/courses/matematik-4")
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    again = catalog.client.get("/catalog/courses/matematik-4", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = catalog.client.get(
        "/catalog/courses/matematik-4", headers={"If-None-Match": 'W/"stale"'}
    )
    assert other.status_code == 200 and other.headers["etag"] == etag


def test_answers_only_for_authors(catalog: Gateway) -> None:
    item_id = catalog.client.get(
        "/catalog/items", params={"course_id": "matematik-4", "limit": 1}
    ).json()["data"][0]["id"]
    public = catalog.client.get(f"/catalog/items/{item_id}").json()
    step = public["content"]["steps"][0]
    assert "correct_answers" not in step and "hints" not in step and step["hint_count"] >= 0
    _uid, learner = catalog.make_user()
    assert (
        "correct_answers"
        not in catalog.client.get(f"/catalog/items/{item_id}", headers=learner).json()["content"][
            "steps"
        ][0]
    )
    _iid, instructor = catalog.make_user(Role.INSTRUCTOR)
    authored = catalog.client.get(f"/catalog/items/{item_id}", headers=instructor)
    assert "correct_answers" in authored.json()["content"]["steps"][0]
    assert authored.headers["cache-control"].startswith("private")


def test_authoring_courses_and_items(catalog: Gateway) -> None:
    _iid, instructor = catalog.make_user(Role.INSTRUCTOR)
    course = catalog.client.post(
        "/catalog/courses",
        json={"title": "Probability Basics", "terms": ["statistics"]},
        headers=instructor,
    )
    assert course.status_code == 201
    course_id = course.json()["id"]
    assert course_id.startswith("probability-basics")
    video = catalog.client.post(
        "/catalog/items",
        json={
            "title": "Dice",
            "kind": "video",
            "url": "https://videos.example/dice.mp4",
            "course_id": course_id,
            "skills": ["probability", "dice"],
        },
        headers=instructor,
    )
    assert video.status_code == 201 and video.json()["skills"] == ["dice", "probability"]
    missing_url = catalog.client.post(
        "/catalog/items",
        json={"title": "x", "kind": "video", "course_id": course_id},
        headers=instructor,
    )
    assert missing_url.status_code == 422 and missing_url.json()["errors"][0]["field"] == "url"
    wrong_course = catalog.client.post(
        "/catalog/items",
        json={"title": "x", "kind": "text", "course_id": "nope"},
        headers=instructor,
    )
    assert wrong_course.json()["errors"][0]["field"] == "course_id"
    item_id = video.json()["id"]
    patched = catalog.client.patch(
        f"/catalog/items/{item_id}", json={"title": "Two dice"}, headers=instructor
    )
    assert patched.json()["title"] == "Two dice"
    null_title = catalog.client.patch(
        f"/catalog/items/{item_id}", json={"title": None}, headers=instructor
    )
    assert null_title.status_code == 422
    assert catalog.client.delete(f"/catalog/items/{item_id}", headers=instructor).status_code == 204
    assert catalog.client.get(f"/catalog/items/{item_id}").status_code == 404
    assert (
        catalog.client.delete(f"/catalog/courses/{course_id}", headers=instructor).status_code
        == 204
    )


def test_scorm_upload_12_and_2004(catalog: Gateway) -> None:
    _iid, instructor = catalog.make_user(Role.INSTRUCTOR)
    for package, version, count in (
        (scorm12_package(), "1.2", 2),
        (scorm2004_package(), "2004", 1),
    ):
        answer = catalog.client.post(
            "/catalog/scorm",
            files={"file": ("pkg.zip", package, "application/zip")},
            headers=instructor,
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["version"] == version and len(body["items"]) == count
        first = body["items"][0]
        assert first["kind"] == "scorm" and first["content"]["scorm_version"] == version
        asset = catalog.client.get(first["url"].split("?")[0])
        assert asset.status_code == 200 and asset.headers["content-type"].startswith("text/html")
        assert b"<html>" in asset.content
    assert catalog.client.get("/catalog/assets/scorm/../../etc/passwd").status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "reason"),
    [
        (b"not a zip at all", "file", "not a valid zip"),
        (build_zip({"index.html": "x"}), "imsmanifest.xml", "missing"),
        (build_zip({"imsmanifest.xml": XXE_MANIFEST}), "imsmanifest.xml", "DTDs"),
        (
            build_zip({"imsmanifest.xml": MANIFEST_12, "../../escape.html": "x"}),
            "../../escape.html",
            "zip-slip",
        ),
        (
            build_zip({"imsmanifest.xml": MANIFEST_12, "intro/index.html": "x"}),
            "resource res2",
            "adding.html",
        ),
    ],
)
def test_broken_scorm_packages_get_a_4xx_naming_the_problem(
    catalog: Gateway, data: bytes, field: str, reason: str
) -> None:
    _iid, instructor = catalog.make_user(Role.INSTRUCTOR)
    answer = catalog.client.post(
        "/catalog/scorm", files={"file": ("p.zip", data)}, headers=instructor
    )
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"].endswith("/invalid-scorm-package")
    assert problem["errors"][0]["field"] == field and reason in problem["detail"]


def test_scorm_upload_needs_an_author_and_a_file(catalog: Gateway) -> None:
    _uid, learner = catalog.make_user()
    files = {"file": ("p.zip", scorm12_package())}
    assert catalog.client.post("/catalog/scorm", files=files, headers=learner).status_code == 403
    _iid, instructor = catalog.make_user(Role.INSTRUCTOR)
    missing = catalog.client.post("/catalog/scorm", headers=instructor)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "file"


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Videos</title>
<item><title>Linear equations</title><link>https://example.org/v/1</link><guid>v-1</guid>
<description>Isolate x.</description></item>
<item><title>Slopes</title><link>https://example.org/v/2</link><guid>v-2</guid></item>
</channel></rss>"""


@pytest.fixture
def feed_server() -> Iterator[dict[str, object]]:
    """A local HTTP server serving an RSS fixture (its body can be changed by the test)."""
    state: dict[str, object] = {"body": RSS}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            return None

        def do_GET(self) -> None:
            body = state["body"]
            assert isinstance(body, bytes)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    yield state
    server.shutdown()
    server.server_close()


def test_rss_provider_sync_creates_then_updates(
    catalog: Gateway, feed_server: dict[str, object]
) -> None:
    _iid, instructor = catalog.make_user(Role.INSTRUCTOR)
    name = f"videos-{len(catalog.users)}"
    created = catalog.client.post(
        "/catalog/providers", json={"name": name, "url": feed_server["url"]}, headers=instructor
    )
    assert created.status_code == 201
    first = catalog.client.post(f"/catalog/providers/{name}/sync", headers=instructor).json()
    assert (first["created"], first["updated"]) == (2, 0)
    items = catalog.client.get("/catalog/items", params={"course_id": first["course_id"]}).json()[
        "data"
    ]
    assert [(i["title"], i["kind"]) for i in items] == [
        ("Linear equations", "external"),
        ("Slopes", "external"),
    ]
    feed_server["body"] = RSS.replace(b"Isolate x.", b"Isolate the variable.")
    second = catalog.client.post(f"/catalog/providers/{name}/sync", headers=instructor).json()
    assert (second["created"], second["updated"], second["course_id"]) == (0, 1, first["course_id"])
    feed_server["body"] = b"<html>oops</html>"
    broken = catalog.client.post(f"/catalog/providers/{name}/sync", headers=instructor)
    assert broken.status_code == 502 and "neither RSS nor Atom" in broken.json()["detail"]
    bad = catalog.client.post(
        "/catalog/providers",
        json={"name": "local-file", "url": "file:///etc/passwd"},
        headers=instructor,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "url"
