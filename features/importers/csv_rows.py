"""CSV reading with per-row field-count checks and typed cell parsers that name the problem."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

TRUE = frozenset({"1", "true", "t", "yes", "y", "1.0"})
FALSE = frozenset({"0", "false", "f", "no", "n", "0.0"})


class CellError(ValueError):
    """A cell could not be parsed; the message says what was expected."""


class HeaderError(ValueError):
    """The header lacks required columns."""


def read_csv(
    path: Path, required: Sequence[str], *, encoding: str = "utf-8"
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """Yield ``(row_number, record)`` for each data row; ``record`` is a reason string when the
    row has the wrong number of fields (e.g. a truncated last line) or cannot be parsed.
    """
    with path.open(newline="", encoding=encoding, errors="strict") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise HeaderError(f"{path}: empty file, expected a header row") from None
        missing = [c for c in required if c not in header]
        if missing:
            raise HeaderError(
                f"{path}: missing required column(s) {', '.join(missing)}; "
                f"found: {', '.join(header)}"
            )
        row_number = 0
        while True:
            row_number += 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield row_number, f"unreadable CSV ({exc})"
                continue
            if not any(f.strip() for f in fields):
                row_number -= 1
                continue
            if len(fields) != len(header):
                found = f"expected {len(header)} fields, found {len(fields)}"
                yield row_number, f"{found} (truncated or malformed row)"
                continue
            yield row_number, dict(zip(header, fields, strict=True))


def parse_bool(text: str) -> bool:
    """0/1/true/false (case-insensitive)."""
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise CellError(f"expected 0/1/true/false, got {text!r}")


def parse_float(text: str, *, minimum: float | None = None) -> float:
    """A number, optionally bounded below."""
    try:
        value = float(text)
    except ValueError:
        raise CellError(f"expected a number, got {text!r}") from None
    if minimum is not None and value < minimum:
        raise CellError(f"expected a number >= {minimum}, got {text!r}")
    return value


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 (naive = UTC) or Unix epoch in seconds or milliseconds."""
    value = text.strip()
    if not value:
        raise CellError("expected a timestamp, got an empty value")
    try:
        number = float(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise CellError(f"expected an ISO 8601 time or epoch seconds, got {text!r}") from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    seconds = number / 1000 if number > 1e11 else number
    return datetime.fromtimestamp(seconds, tz=UTC)


def split_list(text: str, separators: str = ";|") -> list[str]:
    """Split a multi-value cell on any of ``separators``; blanks dropped."""
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    return [part.strip() for part in text.split(separators[0]) if part.strip()]
