"""Construct the stateful resources of the platform from settings (one place)."""

from __future__ import annotations

from pathlib import Path

from features.datasets.shipped import ensure_unpacked
from features.lake import Lake
from learnloop.settings import SHIPPED_DATA_DIR, Settings


def lake_from_settings(settings: Settings) -> Lake:
    """The data lake configured by ``settings.lake`` (local folder or S3)."""
    lake = settings.lake
    return Lake.from_uri(
        settings.lake_uri,
        s3_endpoint=lake.s3_endpoint,
        s3_region=lake.s3_region,
        s3_access_key=lake.s3_access_key.get_secret_value() if lake.s3_access_key else None,
        s3_secret_key=lake.s3_secret_key.get_secret_value() if lake.s3_secret_key else None,
    )


def datasets_dir(settings: Settings) -> Path:
    """The dataset folder, unpacking the shipped archives into it on first use."""
    if settings.dataset_dir is not None:
        if not settings.dataset_dir.is_dir():
            raise FileNotFoundError(f"LEARNLOOP_DATASET_DIR {settings.dataset_dir} does not exist")
        return settings.dataset_dir
    return ensure_unpacked(settings.datasets_path, SHIPPED_DATA_DIR)
