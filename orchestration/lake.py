"""The raw layer as a Parquet lake, for dbt on Spark (`--engine spark`).

Extraction writes the raw tables into the WORK DuckDB file, with their
accounting and atomic partition replacement. For Spark, every raw table is
then written as Parquet under the lake folder — `usage_requests` and
`deploy_records` partitioned by delivery day (`<table>/dt=YYYY-MM-DD/`), the
others as one file — and the dbt `spark` target registers one view per table
over those files (macro `register_raw_lake`). A table is written into a
staging folder and renamed over the previous one, so a reader sees one
export or the next, never a mix (docs/architecture.md, "The raw layer on
Spark").
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import duckdb

from orchestration.spark_env import lake_dir_for  # noqa: F401  (re-exported)

# raw tables partitioned by delivery day in the lake (the two partitioned assets)
PARTITIONED_BY_DT = ("usage_requests", "deploy_records")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'raw' and table_type = 'BASE TABLE' order by table_name"
        ).fetchall()
    ]


def _write_table(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> int:
    relation = f"raw.{_quote(table)}"
    rows = con.execute(f"select count(*) from {relation}").fetchone()[0]
    folder.mkdir(parents=True)
    target = str(folder).replace("'", "''")
    if table in PARTITIONED_BY_DT and rows:
        con.execute(
            f"COPY (select * from {relation}) TO '{target}' "
            "(FORMAT parquet, PARTITION_BY (dt), OVERWRITE_OR_IGNORE true)"
        )
    else:
        # one file, also for an empty table: its schema is what Spark reads
        con.execute(
            f"COPY (select * from {relation}) TO '{target}/part-0.parquet' (FORMAT parquet)"
        )
    return rows


def export_raw(con: duckdb.DuckDBPyConnection, lake: str | Path) -> dict[str, int]:
    """Write every raw table of `con` under `lake`, one atomic swap per table.

    Returns the rows written per table.
    """
    lake = Path(lake)
    lake.mkdir(parents=True, exist_ok=True)
    staging = lake / f".staging-{uuid.uuid4().hex}"
    written: dict[str, int] = {}
    try:
        for table in raw_tables(con):
            written[table] = _write_table(con, table, staging / table)
            current = lake / table
            retired = lake / f".retired-{table}-{uuid.uuid4().hex}"
            if current.exists():
                current.rename(retired)
            (staging / table).rename(current)
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def queued_days(con: duckdb.DuckDBPyConnection) -> list:
    return [
        row[0]
        for row in con.execute(
            "select distinct usage_date from raw.usage_days_to_rebuild order by 1"
        ).fetchall()
    ]


def consume_queue(con: duckdb.DuckDBPyConnection, days: list) -> None:
    """After dbt on Spark rebuilt the exported queue's days, they leave the
    WORK queue (the DuckDB target's post-hook does this inside dbt; Spark
    cannot delete from a Parquet file). Days queued since the export stay."""
    if days:
        con.execute(
            "delete from raw.usage_days_to_rebuild where usage_date in (select unnest(?::date[]))",
            [days],
        )


def mirror_results(
    con: duckdb.DuckDBPyConnection, spark_dir: str | Path, manifest: str | Path | None = None
) -> list[str]:
    """Load the models dbt on Spark wrote as Parquet (on-run-end hook
    `export_model_results`, `<spark_dir>/results/<schema>/<name>/`) into
    tables of the same names in `con` (the WORK DuckDB file), with the column
    and table descriptions of dbt's manifest as comments, as persist_docs
    gives a DuckDB build. The quality gates and publish then read Spark's
    results exactly as they read DuckDB's. Returns schema.name of each table.
    """
    import json

    results = Path(spark_dir) / "results"
    docs: dict[tuple[str, str], dict] = {}
    if manifest is not None and Path(manifest).exists():
        for node in json.loads(Path(manifest).read_text())["nodes"].values():
            if node["resource_type"] == "model":
                docs[(node["schema"], node["alias"])] = node
    mirrored = []
    for schema_dir in sorted(p for p in results.iterdir() if p.is_dir()):
        schema = schema_dir.name
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
        for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            name = table_dir.name
            relation = f"{_quote(schema)}.{_quote(name)}"
            files = sorted(str(f) for f in table_dir.glob("*.parquet"))
            if not files:
                raise RuntimeError(f"Spark wrote no Parquet file for {schema}.{name}")
            kind = con.execute(
                "select table_type from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()
            if kind is not None:
                con.execute(f"DROP {'VIEW' if kind[0] == 'VIEW' else 'TABLE'} {relation}")
            con.execute(f"CREATE TABLE {relation} AS SELECT * FROM read_parquet(?)", [files])
            node = docs.get((schema, name))
            if node is not None:
                if node.get("description"):
                    con.execute(f"COMMENT ON TABLE {relation} IS {_literal(node['description'])}")
                present = {
                    row[0]
                    for row in con.execute(
                        "select column_name from information_schema.columns "
                        "where table_schema = ? and table_name = ?",
                        [schema, name],
                    ).fetchall()
                }
                for column, spec in node.get("columns", {}).items():
                    if spec.get("description") and column in present:
                        con.execute(
                            f"COMMENT ON COLUMN {relation}.{_quote(column)} "
                            f"IS {_literal(spec['description'])}"
                        )
            mirrored.append(f"{schema}.{name}")
    return mirrored
