"""SCORM packages: 1.2 and 2004 manifests parse; broken or hostile packages are refused by name."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from testkit.scorm_packages import (
    MANIFEST_12,
    XXE_MANIFEST,
    build_zip,
    scorm12_package,
    scorm2004_package,
)

from services.catalog.scorm import ScormError, parse_package


def test_scorm_12_package() -> None:
    package = parse_package(scorm12_package())
    assert package.version == "1.2"
    assert package.title == "Fractions 101"
    assert [(s.identifier, s.href, s.scorm_type) for s in package.items] == [
        ("item1", "intro/index.html", "sco"),
        ("item2", "adding.html", "sco"),
    ]
    assert set(package.files) == {"imsmanifest.xml", "intro/index.html", "adding.html"}


def test_scorm_2004_package_with_nested_items() -> None:
    package = parse_package(scorm2004_package())
    assert package.version == "2004"
    assert package.title == "Kinematics"
    assert [(s.title, s.href) for s in package.items] == [("Velocity", "velocity.html?lesson=1")]


def _refused(data: bytes) -> ScormError:
    with pytest.raises(ScormError) as caught:
        parse_package(data)
    return caught.value


def test_not_a_zip() -> None:
    error = _refused(b"PK\x03\x04 definitely not a zip")
    assert error.where == "file" and "not a valid zip" in error.reason


def test_missing_manifest() -> None:
    error = _refused(build_zip({"index.html": "<html/>"}))
    assert error.where == "imsmanifest.xml" and "missing" in error.reason


@pytest.mark.parametrize(
    "name", ["../evil.html", "/etc/cron.d/x", "a/../../b", "C:/windows/x", "dir\\..\\x"]
)
def test_zip_slip_is_refused(name: str) -> None:
    error = _refused(build_zip({"imsmanifest.xml": MANIFEST_12, name: "x"}))
    assert error.where == name and "zip-slip" in error.reason


def test_symlinks_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", MANIFEST_12)
        link = zipfile.ZipInfo("link.html")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert "symbolic links" in _refused(buffer.getvalue()).reason


def test_zip_bomb_ratio_is_refused() -> None:
    data = build_zip({"imsmanifest.xml": MANIFEST_12, "bomb.bin": b"\0" * (20 << 20)})
    error = _refused(data)
    assert error.where == "bomb.bin" and "zip bomb" in error.reason


def test_xxe_manifest_is_refused() -> None:
    error = _refused(build_zip({"imsmanifest.xml": XXE_MANIFEST}))
    assert error.where == "imsmanifest.xml" and "DTDs" in error.reason


def test_malformed_xml_names_the_manifest() -> None:
    error = _refused(build_zip({"imsmanifest.xml": "<manifest><organizations>"}))
    assert error.where == "imsmanifest.xml" and "not well-formed" in error.reason


def test_missing_resource_file_is_named() -> None:
    data = build_zip({"imsmanifest.xml": MANIFEST_12, "intro/index.html": "x"})
    error = _refused(data)
    assert error.where == "resource res2" and "adding.html" in error.reason


def test_unknown_resource_reference_is_named() -> None:
    manifest = MANIFEST_12.replace('identifierref="res2"', 'identifierref="nope"')
    error = _refused(
        build_zip({"imsmanifest.xml": manifest, "intro/index.html": "x", "adding.html": "y"})
    )
    assert error.where == "item item2" and "nope" in error.reason


def test_unsupported_version_is_named() -> None:
    manifest = MANIFEST_12.replace(
        "<schemaversion>1.2</schemaversion>", "<schemaversion>0.9</schemaversion>"
    ).replace("adlcp_rootv1p2", "adlcp_other")
    error = _refused(
        build_zip({"imsmanifest.xml": manifest, "intro/index.html": "x", "adding.html": "y"})
    )
    assert error.where == "manifest/metadata/schemaversion" and "0.9" in error.reason


def test_manifest_without_items() -> None:
    manifest = """<manifest identifier="m"><metadata><schemaversion>1.2</schemaversion></metadata>
    <organizations><organization identifier="o"><title>T</title></organization></organizations>
    <resources/></manifest>"""
    error = _refused(build_zip({"imsmanifest.xml": manifest}))
    assert error.where == "organization o" and "no launchable items" in error.reason
