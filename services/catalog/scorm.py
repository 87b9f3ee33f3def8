"""SCORM 1.2 / 2004 packages: safe unzip and ``imsmanifest.xml`` parsing.

The archive is checked before anything is stored: it must be a zip, with no member escaping
the package (``..``, absolute paths, drive letters, backslashes, symlinks: zip-slip), within
size and count limits (zip bombs), with ``imsmanifest.xml`` at its root. The manifest is read
with defusedxml (no DTDs, entities or external references: XXE-safe); its version comes from
``metadata/schemaversion`` or the ADL namespaces. Every problem is reported as a
:class:`ScormError` naming the member or manifest element at fault.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

MANIFEST = "imsmanifest.xml"
MAX_MEMBERS = 5000
MAX_TOTAL_BYTES = 1 << 30
MAX_RATIO = 200
NS_VERSIONS = {
    "http://www.adlnet.org/xsd/adlcp_rootv1p2": "1.2",
    "http://www.adlnet.org/xsd/adlcp_v1p3": "2004",
}

ScormVersion = Literal["1.2", "2004"]


class ScormError(ValueError):
    """The package is unusable; ``where`` names the member or manifest part at fault."""

    def __init__(self, where: str, reason: str):
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class Sco:
    """A launchable item of the package."""

    identifier: str
    title: str
    href: str
    scorm_type: str
    parameters: str | None = None


@dataclass
class ParsedPackage:
    """What the manifest declares and the files the archive holds."""

    version: ScormVersion
    identifier: str
    title: str
    items: list[Sco]
    files: dict[str, bytes] = field(repr=False)

    @property
    def size(self) -> int:
        """Uncompressed bytes."""
        return sum(len(data) for data in self.files.values())


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _attr(element: Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key).lower() == name.lower():
            return value
    return None


def _text(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    path = PurePosixPath(name)
    mode = info.external_attr >> 16
    if (
        "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or ".." in path.parts
        or (len(name) > 1 and name[1] == ":")
    ):
        raise ScormError(name, "path escapes the package (zip-slip); refused")
    if stat.S_ISLNK(mode):
        raise ScormError(name, "symbolic links are not allowed in a package")
    if (
        info.file_size > 1 << 20
        and info.compress_size
        and (info.file_size / info.compress_size > MAX_RATIO)
    ):
        raise ScormError(name, "suspicious compression ratio (zip bomb?)")


def read_archive(data: bytes) -> dict[str, bytes]:
    """The files of a zip archive after the safety checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ScormError("file", f"not a valid zip archive ({exc})") from None
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS:
            raise ScormError("file", f"{len(infos)} files; at most {MAX_MEMBERS} allowed")
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise ScormError("file", "uncompressed size exceeds 1 GiB")
        files = {}
        for info in infos:
            _check_member(info)
            try:
                files[info.filename] = archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                raise ScormError(info.filename, f"cannot be extracted ({exc})") from None
    return files


def _parse_manifest(raw: bytes) -> Element:
    try:
        root: Element = fromstring(raw, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise ScormError(
            MANIFEST, "DTDs, entities and external references are not allowed"
        ) from None
    except ParseError as exc:
        raise ScormError(MANIFEST, f"not well-formed XML ({exc})") from None
    if _local(root.tag) != "manifest":
        raise ScormError(MANIFEST, f"root element is <{_local(root.tag)}>, expected <manifest>")
    return root


def _version(root: Element, raw: bytes) -> ScormVersion:
    metadata = _child(root, "metadata")
    declared = _text(_child(metadata, "schemaversion")) if metadata is not None else ""
    if declared == "1.2":
        return "1.2"
    if "2004" in declared or declared.startswith("CAM 1.3"):
        return "2004"
    text = raw.decode("utf-8", "replace")
    for namespace, version in NS_VERSIONS.items():
        if namespace in text:
            return "2004" if version == "2004" else "1.2"
    raise ScormError(
        "manifest/metadata/schemaversion",
        f"unsupported SCORM version {declared or '(missing)'!r}; supported: 1.2, 2004",
    )


def _walk_items(element: Element) -> list[Element]:
    found = []
    for item in _children(element, "item"):
        found.append(item)
        found.extend(_walk_items(item))
    return found


def parse_package(data: bytes) -> ParsedPackage:
    """Check the archive and read its manifest; raise :class:`ScormError` on any problem."""
    files = read_archive(data)
    if MANIFEST not in files:
        raise ScormError(MANIFEST, "missing at the package root")
    raw = files[MANIFEST]
    root = _parse_manifest(raw)
    version = _version(root, raw)
    resources_el = _child(root, "resources")
    resources = {
        _attr(r, "identifier") or "": r
        for r in (_children(resources_el, "resource") if resources_el is not None else [])
    }
    organizations = _child(root, "organizations")
    orgs = _children(organizations, "organization") if organizations is not None else []
    if not orgs:
        raise ScormError("manifest/organizations", "no <organization> declared")
    default = _attr(organizations, "default") if organizations is not None else None
    org = next((o for o in orgs if _attr(o, "identifier") == default), orgs[0])
    items = []
    for item in _walk_items(org):
        ref = _attr(item, "identifierref")
        if not ref:
            continue
        identifier = _attr(item, "identifier") or ref
        resource = resources.get(ref)
        if resource is None:
            raise ScormError(f"item {identifier}", f"references unknown resource {ref!r}")
        href = _attr(resource, "href")
        if not href:
            raise ScormError(f"resource {ref}", "has no href to launch")
        base = _attr(resource, "base") or ""
        target = (base + href).split("?", 1)[0].split("#", 1)[0]
        if target not in files:
            raise ScormError(f"resource {ref}", f"file {target!r} is not in the package")
        items.append(
            Sco(
                identifier=identifier,
                title=_text(_child(item, "title")) or identifier,
                href=base + href,
                scorm_type=(_attr(resource, "scormtype") or "asset").lower(),
                parameters=_attr(item, "parameters"),
            )
        )
    if not items:
        raise ScormError(f"organization {_attr(org, 'identifier')}", "has no launchable items")
    return ParsedPackage(
        version=version,
        identifier=_attr(root, "identifier") or "package",
        title=_text(_child(org, "title")) or _attr(root, "identifier") or "SCORM package",
        items=items,
        files=files,
    )
