"""``learnloop up``: run the platform locally on embedded defaults."""

from __future__ import annotations

import signal
from types import FrameType
from typing import Annotated

import typer

from learnloop.console import console, wrapping_table
from learnloop.settings import get_settings
from learnloop.stack import LocalStack


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def up(
    dataset: Annotated[
        str,
        typer.Option(help="Shipped KT dataset imported into the lake on first start; '' to skip."),
    ] = "assist2009",
    check: Annotated[
        bool,
        typer.Option("--check", help="Start everything, print the URLs, then stop (smoke test)."),
    ] = False,
) -> None:
    """Start broker, lake, API (and every other local component), print URLs, run until Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the stack like Ctrl-C does
    stack = LocalStack(get_settings(), dataset=dataset or None)
    try:
        stack.start()
        table = wrapping_table("component", "address", title="learnloop is up")
        for name, url in stack.urls.items():
            table.add_row(name, url)
        console.print(table)
        if not check:
            console.print("press Ctrl-C to stop")
            stack.wait()
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        stack.stop()
