"""OWASP A03 (injection) and A08 (untrusted packages) through the real gateway: SQL injection in
search/filter parameters, path traversal in uploads and asset keys, zip-slip and XML attacks
(XXE, billion laughs, external DTDs) in SCORM manifests."""

from __future__ import annotations

from pathlib import Path

import pytest
from testkit.gateway_harness import Gateway
from testkit.scorm_packages import MANIFEST_12, XXE_MANIFEST, build_zip, scorm12_package

from services.common.principal import Role

SQL_PAYLOADS = [
    "' OR '1'='1",
    "%' OR 1=1 --",
    "x'; DROP TABLE ums_users; --",
    "1 UNION SELECT id, email, password_hash FROM ums_users --",
    '" OR ""="',
    "\\'; SELECT pg_sleep(5); --",
    "%%",
    "_",
]
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<manifest identifier="x"><organizations><organization identifier="o">
<title>&lol3;</title></organization></organizations></manifest>
"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE manifest SYSTEM "http://127.0.0.1:9/evil.dtd">
<manifest identifier="x"><organizations/></manifest>
"""
PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>
<manifest identifier="x"/>
"""


@pytest.fixture(scope="module")
def instructor(gateway: Gateway) -> dict[str, str]:
    return gateway.make_user(Role.INSTRUCTOR)[1]


@pytest.fixture(scope="module")
def course(gateway: Gateway, instructor: dict[str, str]) -> str:
    answer = gateway.client.post(
        "/catalog/courses", json={"title": "Injection Target"}, headers=instructor
    )
    assert answer.status_code == 201, answer.text
    course_id = str(answer.json()["id"])
    item = gateway.client.post(
        "/catalog/items",
        json={"title": "Only item", "kind": "video", "url": "https://v.example/a.mp4",
              "course_id": course_id, "skills": ["s"]},
        headers=instructor,
    )  # fmt: skip
    assert item.status_code == 201, item.text
    return course_id


def _rows(body: object) -> list[dict[str, object]]:
    return list(body["data"] if isinstance(body, dict) else body)  # type: ignore[arg-type]


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_sql_injection_in_search_and_filters_matches_nothing(
    gateway: Gateway, course: str, payload: str
) -> None:
    assert _rows(gateway.client.get("/catalog/items", params={"course_id": course}).json())
    for path, params in (
        ("/catalog/items", {"q": payload}),
        ("/catalog/items", {"course_id": payload}),
        ("/catalog/items", {"skill": payload}),
        ("/catalog/courses", {"q": payload}),
        ("/catalog/courses", {"term": payload}),
        ("/catalog/skills", {"q": payload}),
    ):
        answer = gateway.client.get(path, params=params)
        assert answer.status_code in (200, 422), (path, params, answer.text)
        if answer.status_code == 200:
            # A tautology or a LIKE wildcard would return rows; the literal text matches none.
            assert _rows(answer.json()) == [], (path, params)


def test_sql_injection_in_staff_filters_and_ids(gateway: Gateway, course: str) -> None:
    _aid, admin = gateway.make_user(Role.ADMIN)
    for payload in SQL_PAYLOADS:
        audit = gateway.client.get("/audit", params={"subject_id": payload}, headers=admin)
        assert audit.status_code == 200 and audit.json()["data"] == []
        for path in (
            f"/users/{payload}",
            f"/catalog/courses/{payload}",
            f"/assessments/attempts/{payload}",
        ):
            answer = gateway.client.get(path.replace("%", "%25"), headers=admin)
            assert answer.status_code in (404, 422), (path, answer.status_code)
        report = gateway.client.get(
            "/analytics/reports/mastery", params={"learner_id": payload}, headers=admin
        )
        assert report.status_code < 500
    # The tables the payloads tried to drop still answer.
    assert gateway.client.get("/users", headers=admin).json()["count"] >= 2
    assert gateway.client.get(f"/catalog/courses/{course}").status_code == 200


def test_upload_file_names_cannot_escape_the_object_store(
    gateway: Gateway, instructor: dict[str, str]
) -> None:
    data_dir = gateway.platform.settings.data_dir
    root = Path(gateway.platform.settings.object_store_uri)
    names = ("../../../../tmp/evil.zip", "/etc/passwd", "..\\..\\evil.zip", "a/../../x.zip")
    for name in names:
        answer = gateway.client.post(
            "/catalog/scorm",
            files={"file": (name, scorm12_package(), "application/zip")},
            headers=instructor,
        )
        assert answer.status_code == 201, answer.text
        assert all(".." not in item["url"] for item in answer.json()["items"])
    # nothing named after the hostile names lands next to or above the data dir, and every
    # extracted page of the packages stays in the object store (other tests' files share the
    # temp base, so only this data dir's pages are checked)
    around = [p for p in data_dir.parent.rglob("*") if p.is_file()]
    assert not [p for p in around if p.name in {"evil.zip", "x.zip", "passwd"}]
    pages = [p for p in data_dir.rglob("*.html") if p.is_file()]
    assert pages and all(p.is_relative_to(root) for p in pages)
    assert not Path("/tmp/evil.zip").exists()


@pytest.mark.parametrize(
    "key",
    [
        "scorm/../../etc/passwd",
        "scorm/%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "/etc/passwd",
        "scorm/..\\..\\keys\\identity",
    ],
)
def test_asset_keys_cannot_traverse(gateway: Gateway, key: str) -> None:
    answer = gateway.client.get(f"/catalog/assets/{key}")
    assert answer.status_code in (404, 422)
    assert b"root:" not in answer.content and b"PRIVATE KEY" not in answer.content


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"imsmanifest.xml": MANIFEST_12, "../../escape.html": "x"}, "zip-slip"),
        ({"imsmanifest.xml": MANIFEST_12, "/abs/escape.html": "x"}, "zip-slip"),
        ({"imsmanifest.xml": MANIFEST_12, "..\\win\\escape.html": "x"}, "zip-slip"),
        ({"imsmanifest.xml": XXE_MANIFEST}, "DTDs"),
        ({"imsmanifest.xml": BILLION_LAUGHS}, "DTDs"),
        ({"imsmanifest.xml": EXTERNAL_DTD}, "DTDs"),
        ({"imsmanifest.xml": PARAMETER_ENTITY}, "DTDs"),
    ],
)
def test_hostile_scorm_packages_are_refused_and_store_nothing(
    gateway: Gateway, instructor: dict[str, str], files: dict[str, str], reason: str
) -> None:
    root = Path(gateway.platform.settings.object_store_uri)
    before = sorted(root.rglob("*")) if root.exists() else []
    answer = gateway.client.post(
        "/catalog/scorm",
        files={"file": ("p.zip", build_zip(files), "application/zip")},
        headers=instructor,
    )
    assert answer.status_code == 400, answer.text
    assert reason in answer.json()["detail"]
    assert "root:" not in answer.text
    assert (sorted(root.rglob("*")) if root.exists() else []) == before
