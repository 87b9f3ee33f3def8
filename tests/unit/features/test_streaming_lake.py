"""The lake side of the stream sink: atomic publish/replace, crash recovery, dedupe index,
compaction and learner erasure (local filesystem; the S3 path runs in integration tests)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from testkit.events import make_events

from features.lake import EVENT_PARTITIONS, EVENTS_SCHEMA, ConflictError, Lake, events_to_table
from features.lake.dedupe import EventIdIndex
from features.lake.maintenance import compact, dedupe_on_event_id, delete_learner
from features.lake.txn import Plan, commit, plan_for


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.from_uri(str(tmp_path / "lake"))


def _stage(lake: Lake, txid: str, n: int = 10) -> list[str]:
    """Stage a batch without publishing it (as a writer killed before its plan would)."""
    writer = lake.staged_writer("events", partition_cols=EVENT_PARTITIONS, batch_id=txid)
    writer.write(events_to_table(make_events(n)), shard=1)
    files = lake.dataset_files("events")
    return sorted(files.rel(p) for p in writer._staged)


def test_half_moved_publish_is_invisible_then_rolled_forward(lake: Lake) -> None:
    staged = _stage(lake, "t1")
    files = lake.dataset_files("events")
    plan = plan_for("t1", staged, "_staging/t1", [])
    files.write_plan(Plan(plan.txid, plan.outputs, plan.inputs, created_at=time.time() - 3600))
    files.move(*plan.outputs[0])  # killed after moving one file of several
    assert len(plan.outputs) > 1
    assert lake.files("events") == []  # readers see none of the batch
    assert lake.recover("events") == 1
    assert lake.read_events().num_rows == 10
    assert not files.plans()


def test_plan_without_moves_is_rolled_back(lake: Lake) -> None:
    staged = _stage(lake, "t2")
    files = lake.dataset_files("events")
    plan = plan_for("t2", staged, "_staging/t2", [])
    files.write_plan(Plan(plan.txid, plan.outputs, plan.inputs, created_at=time.time() - 3600))
    assert lake.recover("events") == 1
    assert lake.read_events().num_rows == 0
    assert not files.listing("_staging")


def test_replace_is_atomic_and_contested_replace_is_refused(lake: Lake) -> None:
    lake.write_events(events_to_table(make_events(12)), batch_id="a")
    old = lake.files("events")
    files = lake.dataset_files("events")
    other = Plan("other", [], [files.rel(old[0])])
    files.write_plan(other)
    with (
        pytest.raises(ConflictError),
        lake.staged_writer("events", partition_cols=EVENT_PARTITIONS, replaces=old) as w,
    ):
        w.write(events_to_table(make_events(3)))
    files.delete_plan(other)
    assert lake.files("events") == old
    with lake.staged_writer("events", partition_cols=EVENT_PARTITIONS, replaces=old) as w:
        w.write(events_to_table(make_events(3)))
    assert lake.read_events().num_rows == 3
    assert not set(old) & set(lake.files("events"))


def test_commit_refuses_inputs_that_vanished(lake: Lake) -> None:
    files = lake.dataset_files("events")
    with pytest.raises(ConflictError, match="vanished"):
        commit(files, Plan("x", [], ["event_date=2024-01-01/verb=viewed/gone.parquet"]))


def test_index_finds_published_ids_per_shard_and_batch_duplicates(lake: Lake) -> None:
    events = make_events(20)
    table = events_to_table(events)
    with lake.staged_writer("events", partition_cols=EVENT_PARTITIONS) as writer:
        writer.write(table, shard=3)
    index = EventIdIndex(lake, "events", max_entries=2)
    ids = [*table.column("event_id").to_pylist(), "new-1", "new-1"]
    days = table.column("event_date").to_pylist() + ["2024-01-01"] * 2
    assert index.new_rows(ids, days, [3] * len(ids)) == [20]
    assert index.new_rows(ids[:20], days[:20], [4] * 20) == list(range(20))  # other shard


def test_compaction_merges_small_files_per_shard_and_dedupes(lake: Lake) -> None:
    events = make_events(40, learners=3)
    for i in range(4):
        with lake.staged_writer("events", partition_cols=EVENT_PARTITIONS) as writer:
            writer.write(events_to_table(events[i * 10 : (i + 1) * 10] + events[:2]), shard=0)
    before = len(lake.files("events"))
    result = compact(
        lake, "events", schema=EVENTS_SCHEMA, partition_cols=EVENT_PARTITIONS, min_files=2
    )
    assert result.replaced > 0 and len(lake.files("events")) < before
    back = lake.read_events()
    assert sorted(back.column("event_id").to_pylist()) == sorted(str(e.event_id) for e in events)
    assert all("/part-k0-" in f for f in lake.files("events"))


def test_dedupe_keeps_first_occurrence() -> None:
    table = events_to_table(make_events(5))
    doubled = table.take([0, 1, 0, 2, 1, 3, 4])
    assert dedupe_on_event_id(doubled).column("event_id").to_pylist() == (
        table.column("event_id").to_pylist()
    )


def test_delete_learner_removes_only_that_learner(lake: Lake) -> None:
    lake.write_events(events_to_table(make_events(60, learners=4)))
    result = delete_learner(
        lake, "events", "l1", schema=EVENTS_SCHEMA, partition_cols=EVENT_PARTITIONS
    )
    learners = lake.read_events().column("learner_id").to_pylist()
    assert result.removed == 15 and "l1" not in learners and len(learners) == 45
    again = delete_learner(
        lake, "events", "l1", schema=EVENTS_SCHEMA, partition_cols=EVENT_PARTITIONS
    )
    assert again.removed == 0


def test_taking_over_shards_settles_only_their_plans_whatever_their_age(lake: Lake) -> None:
    files = lake.dataset_files("events")
    plans = {}
    for shard, txid in ((1, "dead"), (5, "live")):
        writer = lake.staged_writer("events", partition_cols=EVENT_PARTITIONS, batch_id=txid)
        writer.write(events_to_table(make_events(10)), shard=shard)
        staged = sorted(files.rel(p) for p in writer._staged)
        plans[shard] = plan_for(txid, staged, f"_staging/{txid}", [])
        files.write_plan(plans[shard])  # fresh plans: age-based recovery would not touch them
        files.move(*plans[shard].outputs[0])
    assert lake.files("events") == []
    assert lake.recover("events") == 0
    assert lake.recover("events", shards={1}) == 1  # the dead writer's batch is rolled forward
    assert lake.read_events().num_rows == 10
    assert [p.txid for p in files.plans()] == ["live"]
    index = EventIdIndex(lake, "events")
    table = lake.read_events()
    keep = index.new_rows(
        table.column("event_id").to_pylist(),
        table.column("event_date").to_pylist(),
        [1] * table.num_rows,
    )
    assert keep == []  # a replay of that batch writes nothing twice
