"""The RSS/Atom provider adapter."""

from __future__ import annotations

import pytest

from services.catalog.providers import ProviderError, RssProvider, parse_feed

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>OpenStax videos</title>
<item><title>Solving linear equations</title><link>https://example.org/v/1</link>
<guid>v-1</guid>
<description>&lt;p&gt;Isolate the &lt;b&gt;variable&lt;/b&gt;.&lt;/p&gt;</description>
<enclosure url="https://cdn.example.org/v1.mp4" type="video/mp4" length="1"/></item>
<item><title>Reading: slopes</title><link>https://example.org/r/2</link>
<description>Rise over run.</description></item>
<item><title>No link</title><description>skipped</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Notes</title>
<entry><id>urn:note:1</id><title>Limits</title><link href="https://example.org/n/1"/>
<summary>The idea of a limit.</summary></entry></feed>"""


def test_rss_items_become_entries() -> None:
    video, text = parse_feed(RSS)
    assert (video.ref, video.kind, video.url) == ("v-1", "video", "https://cdn.example.org/v1.mp4")
    assert video.summary == "Isolate the  variable ."
    assert (text.ref, text.kind, text.title) == (
        "https://example.org/r/2",
        "external",
        "Reading: slopes",
    )


def test_atom_entries() -> None:
    (entry,) = parse_feed(ATOM)
    assert (entry.ref, entry.url, entry.summary) == (
        "urn:note:1",
        "https://example.org/n/1",
        "The idea of a limit.",
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss>&x;</rss>', "DTDs"),
        (b"<rss><channel>", "not well-formed"),
        (b"<html/>", "neither RSS nor Atom"),
    ],
)
def test_bad_feeds_are_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(ProviderError, match=reason):
        parse_feed(raw)


def test_only_http_urls() -> None:
    with pytest.raises(ProviderError, match="http"):
        RssProvider("file:///etc/passwd")
