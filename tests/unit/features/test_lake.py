from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as ds
import pytest
from testkit.events import make_events

from features.lake import Lake, events_from_table, events_to_table


def test_write_then_read_returns_the_same_events(tmp_path: Path) -> None:
    lake = Lake.from_uri(str(tmp_path / "lake"))
    events = make_events(50)
    result = lake.write_events(events_to_table(events))
    assert result.rows == 50
    assert all("event_date=" in f and "verb=" in f for f in result.files)
    back = sorted(events_from_table(lake.read_events()), key=lambda e: e.timestamp)
    assert back == events


def test_partition_filter_prunes(tmp_path: Path) -> None:
    lake = Lake.from_uri(str(tmp_path / "lake"))
    lake.write_events(events_to_table(make_events(30)))
    viewed = lake.read_events(filter=ds.field("verb") == "viewed")
    assert viewed.num_rows == 10
    assert set(viewed.column("verb").to_pylist()) == {"viewed"}


def test_same_batch_id_overwrites_instead_of_duplicating(tmp_path: Path) -> None:
    lake = Lake.from_uri(str(tmp_path / "lake"))
    table = events_to_table(make_events(20))
    lake.write_events(table, batch_id="b1")
    lake.write_events(table, batch_id="b1")
    assert lake.read_events().num_rows == 20


def test_failed_staged_write_leaves_nothing_visible(tmp_path: Path) -> None:
    lake = Lake.from_uri(str(tmp_path / "lake"))
    with (
        pytest.raises(RuntimeError),
        lake.staged_writer("events", partition_cols=("event_date", "verb")) as writer,
    ):
        writer.write(events_to_table(make_events(10)))
        raise RuntimeError("crash mid-import")
    assert lake.files("events") == []
    assert lake.read_events().num_rows == 0


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported lake URI scheme 'gs'"):
        Lake.from_uri("gs://bucket/lake")
