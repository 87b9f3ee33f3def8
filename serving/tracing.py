"""OpenTelemetry for RES and LPS: one tracer provider per process, W3C context over gRPC.

Under ``bentoml serve`` the provider is BentoML's (configured by its ``tracing`` settings:
sample rate, OTLP exporter), installed as the global provider at startup so BentoML's HTTP
spans, our request-stage spans and the gRPC client/server spans form one trace. gRPC carries
the context as ``traceparent`` metadata (:func:`inject_metadata` / :func:`extract_context`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import context, propagate, trace

logger = logging.getLogger(__name__)
NAME = "learnloop.serving"


@functools.cache
def tracer() -> trace.Tracer:
    """The serving tracer (from the global provider, also when installed later)."""
    return trace.get_tracer(NAME)


def use_bentoml_provider() -> None:
    """Make BentoML's tracer provider the global one (call inside a BentoML worker)."""
    try:
        from bentoml._internal.configuration.containers import BentoMLContainer

        trace.set_tracer_provider(BentoMLContainer.tracer_provider.get())
    except Exception:  # pragma: no cover - BentoML internals moved
        logger.warning("could not install BentoML's tracer provider; spans stay local")


def inject_metadata() -> list[tuple[str, str]]:
    """The current trace context as gRPC metadata."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return list(carrier.items())


def extract_context(metadata: Iterable[tuple[str, Any]] | None) -> context.Context:
    """The trace context sent by a gRPC caller (empty context when none)."""
    carrier: Mapping[str, str] = {k: str(v) for k, v in (metadata or ())}
    return propagate.extract(carrier)
