"""Third-party content providers: a small adapter interface and an RSS/Atom adapter.

An adapter turns a feed into :class:`ExternalEntry` values; the catalog stores them as
``external`` (or ``video``) items of one course per provider, keyed by the entry id, so a sync
creates new entries and updates changed ones.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Protocol
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

MAX_FEED_BYTES = 5 << 20
_TAGS = re.compile(r"<[^>]+>")


class ProviderError(ValueError):
    """The feed cannot be read or parsed; the message says why."""


@dataclass(frozen=True)
class ExternalEntry:
    """One piece of third-party content."""

    ref: str
    title: str
    url: str
    summary: str
    kind: str = "external"


class ContentProvider(Protocol):
    """Fetch the current entries of a source."""

    def fetch(self) -> list[ExternalEntry]:
        """Entries in feed order."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(element: Element, name: str) -> Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _first(element: Element, *names: str) -> Element | None:
    """The first child named like one of ``names`` (Elements without children are falsy)."""
    for name in names:
        found = _find(element, name)
        if found is not None:
            return found
    return None


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return html.unescape(_TAGS.sub(" ", "".join(element.itertext()))).strip()


def parse_feed(raw: bytes) -> list[ExternalEntry]:
    """Entries of an RSS 2.0 or Atom document (XXE-safe)."""
    try:
        root = fromstring(raw, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise ProviderError("feed: DTDs and entities are not allowed") from None
    except ParseError as exc:
        raise ProviderError(f"feed: not well-formed XML ({exc})") from None
    kind = _local(root.tag)
    if kind == "rss":
        channel = _find(root, "channel")
        nodes = [c for c in channel if _local(c.tag) == "item"] if channel is not None else []
        entries = []
        for node in nodes:
            link = _text(_find(node, "link"))
            guid = _text(_find(node, "guid")) or link
            enclosure = _find(node, "enclosure")
            media = enclosure.get("type", "") if enclosure is not None else ""
            if enclosure is not None and media.startswith("video/"):
                link = enclosure.get("url", link)
            if guid and link.startswith(("http://", "https://")):
                entries.append(
                    ExternalEntry(
                        ref=guid[:255],
                        title=(_text(_find(node, "title")) or link)[:512],
                        url=link,
                        summary=_text(_find(node, "description"))[:20_000],
                        kind="video" if media.startswith("video/") else "external",
                    )
                )
        return entries
    if kind == "feed":
        entries = []
        for node in (c for c in root if _local(c.tag) == "entry"):
            link_el = next(
                (
                    c
                    for c in node
                    if _local(c.tag) == "link" and c.get("rel", "alternate") == "alternate"
                ),
                None,
            )
            link = link_el.get("href", "") if link_el is not None else ""
            ref = _text(_find(node, "id")) or link
            if ref and link.startswith(("http://", "https://")):
                entries.append(
                    ExternalEntry(
                        ref=ref[:255],
                        title=(_text(_find(node, "title")) or link)[:512],
                        url=link,
                        summary=_text(_first(node, "summary", "content"))[:20_000],
                    )
                )
        return entries
    raise ProviderError(f"feed: root element <{kind}> is neither RSS nor Atom")


class RssProvider:
    """An RSS 2.0 / Atom feed over http(s)."""

    def __init__(self, url: str, *, timeout_s: float = 10.0):
        if not url.startswith(("http://", "https://")):
            raise ProviderError(f"feed url must be http(s), got {url!r}")
        self.url = url
        self.timeout_s = timeout_s

    def fetch(self) -> list[ExternalEntry]:
        try:
            with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
                answer = client.get(self.url)
                answer.raise_for_status()
        except httpx.HTTPError as exc:
            raise ProviderError(f"feed {self.url}: {exc}") from None
        if len(answer.content) > MAX_FEED_BYTES:
            raise ProviderError(f"feed {self.url}: larger than {MAX_FEED_BYTES} bytes")
        return parse_feed(answer.content)


def provider_for(kind: str, url: str) -> ContentProvider:
    """The adapter of ``kind``."""
    if kind == "rss":
        return RssProvider(url)
    raise ProviderError(f"unknown provider kind {kind!r}; known: rss")
