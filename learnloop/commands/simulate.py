"""``learnloop simulate``: drive simulated learners through the running platform (live traffic).

Learners ask RES for what to do next, answer it (the learner simulator decides right or
wrong), and their answers go to ``POST /events``; with ``--paths`` each first asks LPS for a
path. Watch mastery, recommendations and paths change while it runs (``learnloop up`` first).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer
from rich.live import Live
from rich.table import Table

from learnloop.console import CliError, console, wrapping_table
from learnloop.resources import datasets_dir
from learnloop.settings import get_settings


def _table(stats: object, elapsed: float) -> Table:
    from serving.traffic import TrafficStats

    assert isinstance(stats, TrafficStats)
    table = wrapping_table("measure", "value", title=f"learnloop simulate — {elapsed:.0f} s")
    accuracy = stats.correct / stats.steps if stats.steps else 0.0
    rows = [
        ("answers (correct)", f"{stats.steps} ({accuracy:.0%})"),
        ("RES p50 / p99", f"{stats.latency_ms(50):.1f} / {stats.latency_ms(99):.1f} ms"),
        ("RES errors / degraded answers", f"{stats.res_errors} / {stats.res_degraded}"),
        ("served models", ", ".join(f"{k}: {v}" for k, v in stats.served_versions.items()) or "-"),
        ("events accepted / rejected", f"{stats.events_accepted} / {stats.events_rejected}"),
        ("API errors / throttled", f"{stats.api_errors} / {stats.api_throttled}"),
        (
            "paths (degraded) / errors",
            f"{stats.paths} ({stats.paths_degraded}) / {stats.path_errors}",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def simulate(
    learners: Annotated[int, typer.Option(min=1, max=100_000, help="Simulated learners.")] = 20,
    rate: Annotated[float, typer.Option(min=0.1, max=5000, help="Answers per second.")] = 5.0,
    duration: Annotated[float, typer.Option(min=0, help="Seconds; 0 runs until Ctrl-C.")] = 60.0,
    course: Annotated[str, typer.Option(help="Catalog course id.")] = "openstax-college-algebra",
    paths: Annotated[bool, typer.Option(help="Each learner first asks LPS for a path.")] = True,
    k: Annotated[int, typer.Option(min=1, max=100, help="Items asked from RES per step.")] = 5,
    seed: Annotated[int, typer.Option(help="Simulator seed (also in the learner ids).")] = 0,
    api_url: Annotated[str | None, typer.Option(help="Gateway (POST /events).")] = None,
    res_url: Annotated[str | None, typer.Option(help="RES base URL.")] = None,
    lps_url: Annotated[str | None, typer.Option(help="LPS base URL.")] = None,
) -> None:
    """Simulated learners ask RES, answer items, post events (and ask LPS for paths)."""
    from learnloop.web.security_tls import client_verify
    from serving.traffic import TrafficConfig, TrafficDriver

    settings = get_settings()
    config = TrafficConfig(
        api_url=(api_url or settings.api_base_url).rstrip("/"),
        res_url=(res_url or settings.res_url).rstrip("/"),
        lps_url=(lps_url or settings.lps_url).rstrip("/") if paths else None,
        course_id=course,
        learners=learners,
        rate=rate,
        duration_s=duration,
        k=k,
        seed=seed,
        max_batch=settings.ingest.max_batch,
        verify=client_verify(settings),
    )
    try:
        driver = TrafficDriver(config, datasets_dir(settings) / "content")
    except ValueError as exc:
        raise CliError(str(exc)) from None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, driver.stop)  # finish the step, post what is left
        started = loop.time()
        run = asyncio.create_task(driver.run())
        with Live(_table(driver.stats, 0), console=console, refresh_per_second=2) as live:
            while not run.done():
                await asyncio.wait({run}, timeout=0.5)
                live.update(_table(driver.stats, loop.time() - started))
        await run

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    stats = driver.stats
    if stats.steps == 0:
        raise CliError(
            f"no answer from RES at {config.res_url} ({stats.res_errors} errors): is it up?"
        )
