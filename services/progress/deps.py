"""PTS resource names on the platform."""

from __future__ import annotations

STORE = "progress.store"
TRACKER = "progress.tracker"
SUBJECTS = "progress.subjects"
