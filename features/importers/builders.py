"""Build one validated event from one source row, mapping field errors back to source columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from features.events import EventValidationError, LearningEvent, parse_learning_event
from features.importers.base import ParsedRow, RowError
from features.importers.csv_rows import CellError

T = TypeVar("T")


def build_row(
    row: int,
    record: Mapping[str, str] | str,
    make_event: Callable[[Mapping[str, str]], dict[str, Any]],
    field_to_column: Mapping[str, str],
) -> ParsedRow:
    """Parse ``record`` with ``make_event`` and validate the resulting event.

    ``make_event`` raises :class:`ColumnError` for a bad cell; schema violations of the built
    event are reported against the source column ``field_to_column`` maps them to.
    """
    if isinstance(record, str):
        return ParsedRow(row, errors=(RowError(row, "(row)", record),))
    try:
        event: LearningEvent = parse_learning_event(make_event(record))
    except ColumnError as exc:
        return ParsedRow(row, errors=(RowError(row, exc.column, exc.reason),))
    except EventValidationError as exc:
        errors = tuple(
            RowError(row, field_to_column.get(e.field, e.field), e.reason) for e in exc.errors
        )
        return ParsedRow(row, errors=errors)
    return ParsedRow(row, events=(event,))


class ColumnError(ValueError):
    """A bad cell in a named column."""

    def __init__(self, column: str, reason: str):
        self.column = column
        self.reason = reason
        super().__init__(f"{column}: {reason}")


def cell(record: Mapping[str, str], column: str, parser: Callable[[str], T]) -> T:
    """Parse ``record[column]`` with ``parser``; a failure becomes a :class:`ColumnError`."""
    try:
        return parser(record[column])
    except CellError as exc:
        raise ColumnError(column, str(exc)) from None
