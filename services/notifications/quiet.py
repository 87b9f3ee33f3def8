"""Quiet hours: when a notification may interrupt a user, in the user's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(value: str, field: str) -> time:
    """``"22:30"`` → ``time(22, 30)``; ValueError naming ``field`` otherwise."""
    match = _HHMM.match(value)
    if not match:
        raise ValueError(f"{field}={value!r} is invalid; allowed: HH:MM (00:00 to 23:59)")
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"timezone={name!r} is not an IANA time zone (e.g. Europe/Paris)"
        ) from None


def next_allowed(now: datetime, start: str | None, end: str | None, tz: str) -> datetime:
    """``now`` if outside the quiet window ``[start, end)`` (local time), else when it ends.

    A window with ``start > end`` wraps midnight (``22:00``–``07:00``). Returns UTC.
    """
    if not start or not end or start == end:
        return now
    local = now.astimezone(zone(tz))
    begin, finish = parse_hhmm(start, "quiet_start"), parse_hhmm(end, "quiet_end")
    t = local.timetz().replace(tzinfo=None)
    quiet = (begin <= t < finish) if begin < finish else (t >= begin or t < finish)
    if not quiet:
        return now
    end_today = local.replace(hour=finish.hour, minute=finish.minute, second=0, microsecond=0)
    resume = end_today if end_today > local else end_today + timedelta(days=1)
    return resume.astimezone(UTC)
