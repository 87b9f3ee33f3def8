"""Capture the root logger's output exactly as ``configure_logging`` formats it (PII filter on)."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from learnloop.log import JsonFormatter, PiiMaskingFilter


@contextlib.contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """JSON log lines of everything logged inside the block, after the PII masking filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PiiMaskingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
