"""What RES and LPS do alike inside a BentoML worker: logging and process defaults."""

from __future__ import annotations

import logging
import os

from learnloop.log import configure_logging
from learnloop.settings import Settings


def prepare_worker(settings: Settings) -> None:
    """learnloop's JSON logs only (BentoML's root handler would print every line twice; the
    mounted app writes one access line per request), no MLflow download progress bars."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    configure_logging(settings.log_level, json_output=settings.log_json)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not getattr(handler, "_learnloop", False):
            root.removeHandler(handler)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
