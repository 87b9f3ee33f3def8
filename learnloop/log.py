"""Structured JSON logging with request/trace ids and PII masking.

Every record is one JSON object on stdout (what container log collectors read) with ``ts``,
``level``, ``logger``, ``msg``, ``request_id`` and ``trace_id`` (from context variables set by
the HTTP middleware or by :func:`log_context`) plus any ``extra`` fields.
:class:`PiiMaskingFilter` runs on every record before it is formatted: e-mail addresses, JWTs,
bearer tokens, and the values of sensitive keys (``password``, ``token``, ``name``, ``email``,
...) in the message or in extra fields are replaced by ``***`` so they never reach a log sink.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
trace_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("trace_id", default=None)

MASK = "***"
SENSITIVE_KEYS = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "authorization",
        "api_key",
        "email",
        "name",
        "full_name",
        "first_name",
        "last_name",
        "given_name",
        "family_name",
        "phone",
        "address",
        "ssn",
        "date_of_birth",
    }
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_KEY_VALUE = re.compile(
    r"""(?ix)
    (?P<key>["']?(?:%s)["']?)          # a sensitive key, optionally quoted
    (?P<sep>\s*[:=]\s*)
    (?P<value>"[^"]*"|'[^']*'|[^\s,;&}]+)
    """.replace("%s", "|".join(sorted(SENSITIVE_KEYS, key=len, reverse=True)))
)
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")
_PROVIDER_SECRET = re.compile(r"\b(?:whsec|sk_live|sk_test|rk_live|rk_test)_[A-Za-z0-9]{8,}")
_RESERVED = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def mask_text(text: str) -> str:
    """Return ``text`` with e-mails, tokens and sensitive ``key=value`` pairs masked."""
    text = _JWT.sub(MASK, text)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _PROVIDER_SECRET.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)
    return _EMAIL.sub(MASK, text)


def mask_value(key: str, value: Any) -> Any:
    """Mask ``value`` entirely if ``key`` is sensitive, else mask PII inside it recursively."""
    if key.lower() in SENSITIVE_KEYS and value is not None:
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value("", v) for v in value]
    return value


class PiiMaskingFilter(logging.Filter):
    """Mask PII in the message, its arguments and extra fields of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _RESERVED:
                setattr(record, key, mask_value(key, value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """Format records as single-line JSON objects."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
            "trace_id": trace_id_var.get() or _otel_trace_id(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_text:
            payload["exc"] = record.exc_text
        elif record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def _otel_trace_id() -> str | None:
    """Trace id of the active OpenTelemetry span, if OpenTelemetry is in use."""
    otel_trace = sys.modules.get("opentelemetry.trace")
    if otel_trace is None:
        return None
    context = otel_trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None


# Libraries that log every routine call at INFO (httpx: one line per outgoing request; Feast's
# registry: each cache refresh): WARNING and up unless the level is DEBUG
CHATTY_LOGGERS = ("httpx", "httpcore", "feast.infra.registry.registry")


def configure_logging(level: str = "INFO", *, json_output: bool = True) -> None:
    """Install the JSON (or plain) handler with PII masking on the root logger; quieten the
    :data:`CHATTY_LOGGERS` to WARNING unless ``level`` is DEBUG."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(PiiMaskingFilter())
    if json_output:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_learnloop", False):
            root.removeHandler(existing)
    handler._learnloop = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(
            logging.NOTSET if root.level <= logging.DEBUG else logging.WARNING
        )


def new_request_id() -> str:
    """A fresh random request id."""
    return uuid.uuid4().hex


@contextlib.contextmanager
def log_context(*, request_id: str | None = None, trace_id: str | None = None) -> Iterator[str]:
    """Bind a request id (generated if missing) and optional trace id for the enclosed block."""
    rid = request_id or new_request_id()
    rid_token = request_id_var.set(rid)
    tid_token = trace_id_var.set(trace_id)
    try:
        yield rid
    finally:
        request_id_var.reset(rid_token)
        trace_id_var.reset(tid_token)
