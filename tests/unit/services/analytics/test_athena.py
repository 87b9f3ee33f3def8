"""Glue table definitions and Athena DDL generated from the lake schemas."""

from __future__ import annotations

from features.lake import EVENTS_DATASET, EVENTS_SCHEMA, PROGRESS_DATASET
from services.analytics.athena import athena_ddl, create_table_ddl, glue_table_input, glue_type
from services.analytics.queries import REPORTS


def test_glue_columns_follow_the_event_schema() -> None:
    table = glue_table_input(EVENTS_DATASET, "s3://lake/prefix")
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    partitions = [p["Name"] for p in table["PartitionKeys"]]
    assert partitions == ["event_date", "verb"]
    assert set(columns) | set(partitions) == set(EVENTS_SCHEMA.names)
    assert columns["skill_ids"] == "array<string>"
    assert columns["timestamp"] == "timestamp"
    assert columns["hints_used"] == "int"
    assert table["StorageDescriptor"]["Location"] == "s3://lake/prefix/events/"
    assert table["Parameters"]["projection.verb.values"].startswith("viewed,started")


def test_ddl_statements_cover_tables_and_views() -> None:
    ddl = create_table_ddl(PROGRESS_DATASET, "s3://lake")
    assert "PARTITIONED BY (`event_date` string)" in ddl
    assert "`mastery` double" in ddl and "STORED AS PARQUET" in ddl
    statements = athena_ddl("s3://lake")
    assert len(statements) == 1 + 2 + len(REPORTS)
    assert statements[-1].startswith("CREATE OR REPLACE VIEW learnloop.cohort_retention AS")


def test_unknown_types_are_refused() -> None:
    import pyarrow as pa
    import pytest

    with pytest.raises(ValueError, match="no Glue type"):
        glue_type(pa.dictionary(pa.int8(), pa.string()))
