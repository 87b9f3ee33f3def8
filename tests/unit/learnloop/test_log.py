from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import pytest

from learnloop.log import (
    CHATTY_LOGGERS,
    JsonFormatter,
    PiiMaskingFilter,
    configure_logging,
    log_context,
    mask_text,
)

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJsZWFybmVyLTEifQ.c2lnbmF0dXJlLXZhbHVl"


@pytest.fixture
def capture() -> tuple[logging.Logger, list[str]]:
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = ListHandler()
    handler.addFilter(PiiMaskingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.pii")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, lines


@pytest.mark.parametrize(
    "secret",
    [
        "ada.lovelace@example.com",
        JWT,
        "Bearer abc.def-ghi",
        "password=hunter2",
        '"name": "Ada Lovelace"',
    ],
)
def test_mask_text_removes_pii(secret: str) -> None:
    masked = mask_text(f"user said {secret} today")
    for fragment in ("ada.lovelace", "hunter2", "Ada Lovelace", JWT, "abc.def-ghi"):
        assert fragment not in masked


def test_log_records_never_contain_pii(capture: tuple[logging.Logger, list[str]]) -> None:
    logger, lines = capture
    logger.info(
        "login by %s with token %s",
        "grace@example.org",
        JWT,
        extra={
            "email": "grace@example.org",
            "display_name": "x",
            "full_name": "Grace Hopper",
            "learner_id": "l-1",
            "payload": {"password": "pw", "full_name": "Grace Hopper", "k": 3},
        },
    )
    try:
        raise ValueError("bad password=letmein for grace@example.org")
    except ValueError:
        logger.exception("failed")
    text = "\n".join(lines)
    for leaked in ("grace@example.org", "Grace Hopper", JWT, "letmein", '"pw"'):
        assert leaked not in text
    first = json.loads(lines[0])
    assert first["learner_id"] == "l-1"  # pseudonymous ids are kept
    assert first["payload"]["k"] == 3
    assert first["level"] == "INFO" and first["logger"] == "test.pii"


def test_request_id_is_attached(capture: tuple[logging.Logger, list[str]]) -> None:
    logger, lines = capture
    with log_context(request_id="req-12345678", trace_id="t" * 32):
        logger.info("inside")
    logger.info("outside")
    inside, outside = (json.loads(line) for line in lines)
    assert inside["request_id"] == "req-12345678" and inside["trace_id"] == "t" * 32
    assert outside["request_id"] is None


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    chatty = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


@pytest.mark.parametrize(("level", "logged"), [("INFO", False), ("DEBUG", True)])
def test_outgoing_requests_are_logged_only_at_debug(
    restored_logging: None, capsys: pytest.CaptureFixture[str], level: str, logged: bool
) -> None:
    configure_logging(level, json_output=True)
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    with httpx.Client(transport=transport) as client:
        assert client.get("http://res.test/readyz").status_code == 204
    logging.getLogger("learnloop.test").warning("still logged")
    out = capsys.readouterr().out
    assert ("HTTP Request: GET http://res.test/readyz" in out) is logged
    assert "still logged" in out
