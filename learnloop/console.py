"""Terminal output helpers: one rich console, progress bars, one-line errors."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column, Table

console = Console(stderr=True, soft_wrap=True)


def wrapping_table(*headers: str, title: str | None = None) -> Table:
    """A table whose long cells (timestamps, ``metric=value``, paths) wrap onto more lines
    instead of ending in an ellipsis: on a narrow or piped terminal nothing is hidden."""
    return Table(*(Column(h, overflow="fold") for h in headers), title=title)


class CliError(Exception):
    """An error to show the user as one line (no traceback); exit code 2."""


@contextlib.contextmanager
def progress_bar(description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
    """A rich progress bar; yields ``advance(n)``. ``total=None`` shows a spinner and a count."""
    columns = [
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(description, total=total)

        def advance(n: float = 1.0) -> None:
            progress.advance(task, n)

        yield advance
