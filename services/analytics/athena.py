"""Production analytics: Glue table definitions generated from the lake schemas, Athena DDL.

The lake's parquet datasets become Glue external tables (partition projection on
``event_date``, and on ``verb`` for events, so no crawler or ``MSCK REPAIR`` is needed); the
reports of :mod:`services.analytics.queries` become Athena views with the very SQL DuckDB runs
locally. :func:`glue_table_input` is the ``TableInput`` of ``glue.create_table``;
:func:`create_table_ddl` / :func:`create_view_ddl` are the equivalent Athena statements.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from features.events import Verb
from features.lake import EVENTS_DATASET, EVENTS_SCHEMA, PROGRESS_DATASET, PROGRESS_SCHEMA
from services.analytics.queries import REPORTS

PARTITIONS: dict[str, tuple[str, ...]] = {
    EVENTS_DATASET: ("event_date", "verb"),
    PROGRESS_DATASET: ("event_date",),
}
SCHEMAS: dict[str, pa.Schema] = {EVENTS_DATASET: EVENTS_SCHEMA, PROGRESS_DATASET: PROGRESS_SCHEMA}
FIRST_DAY = "2000-01-01"


def glue_type(data_type: pa.DataType) -> str:
    """The Glue/Hive type of an arrow type (``array<string>``, ``timestamp``, ...)."""
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_int32(data_type):
        return "int"
    if pa.types.is_int64(data_type):
        return "bigint"
    if pa.types.is_float64(data_type):
        return "double"
    if pa.types.is_float32(data_type):
        return "float"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_date(data_type):
        return "date"
    if pa.types.is_list(data_type):
        return f"array<{glue_type(data_type.value_type)}>"
    raise ValueError(f"no Glue type for arrow type {data_type}")


def _projection(dataset: str) -> dict[str, str]:
    props = {
        "projection.enabled": "true",
        "projection.event_date.type": "date",
        "projection.event_date.format": "yyyy-MM-dd",
        "projection.event_date.range": f"{FIRST_DAY},NOW",
        "projection.event_date.interval": "1",
        "projection.event_date.interval.unit": "DAYS",
    }
    if "verb" in PARTITIONS[dataset]:
        props["projection.verb.type"] = "enum"
        props["projection.verb.values"] = ",".join(v.value for v in Verb)
    return props


def _location(root: str, dataset: str) -> str:
    return f"{root.rstrip('/')}/{dataset}/"


def glue_table_input(dataset: str, location_root: str) -> dict[str, Any]:
    """``TableInput`` for ``glue.create_table`` of a lake dataset at ``s3://.../<dataset>/``."""
    schema, partitions = SCHEMAS[dataset], PARTITIONS[dataset]
    columns = [
        {"Name": f.name, "Type": glue_type(f.type)} for f in schema if f.name not in partitions
    ]
    return {
        "Name": dataset,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "EXTERNAL": "TRUE", **_projection(dataset)},
        "PartitionKeys": [{"Name": name, "Type": "string"} for name in partitions],
        "StorageDescriptor": {
            "Columns": columns,
            "Location": _location(location_root, dataset),
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde."
                "ParquetHiveSerDe"
            },
        },
    }


def create_table_ddl(dataset: str, location_root: str, database: str = "learnloop") -> str:
    """Athena ``CREATE EXTERNAL TABLE`` equivalent to :func:`glue_table_input`."""
    table = glue_table_input(dataset, location_root)
    columns = ",\n  ".join(
        f"`{c['Name']}` {c['Type']}" for c in table["StorageDescriptor"]["Columns"]
    )
    partitions = ", ".join(f"`{p['Name']}` string" for p in table["PartitionKeys"])
    props = ",\n  ".join(f"'{k}' = '{v}'" for k, v in table["Parameters"].items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{dataset}` (\n  {columns}\n)\n"
        f"PARTITIONED BY ({partitions})\nSTORED AS PARQUET\n"
        f"LOCATION '{table['StorageDescriptor']['Location']}'\n"
        f"TBLPROPERTIES (\n  {props}\n)"
    )


def create_view_ddl(report_name: str, database: str = "learnloop") -> str:
    """Athena ``CREATE OR REPLACE VIEW`` of one analytics report."""
    report = REPORTS[report_name]
    return f"CREATE OR REPLACE VIEW {database}.{report.name} AS\n{report.sql.strip()}"


def athena_ddl(location_root: str, database: str = "learnloop") -> list[str]:
    """Every statement that sets up analytics in Athena, in order."""
    statements = [f"CREATE DATABASE IF NOT EXISTS `{database}`"]
    statements += [create_table_ddl(d, location_root, database) for d in SCHEMAS]
    statements += [create_view_ddl(name, database) for name in REPORTS]
    return statements
