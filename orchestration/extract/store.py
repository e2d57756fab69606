"""Raw and audit tables of the WORK database, and the per-file load bookkeeping."""

from __future__ import annotations

import duckdb

from orchestration.extract.sources import ALL_SOURCES

QUARANTINE_COLUMNS = (
    ("source", "VARCHAR"),
    ("dt", "DATE"),
    ("source_file", "VARCHAR"),
    ("line_number", "BIGINT"),
    ("reason", "VARCHAR"),
    ("detail", "VARCHAR"),
    ("raw_text", "VARCHAR"),
)

LANDING_FILE_COLUMNS = (
    ("source", "VARCHAR"),
    ("dt", "DATE"),
    ("source_file", "VARCHAR"),
    ("content_sha256", "VARCHAR"),
    ("lines_read", "BIGINT"),
    ("rows_loaded", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("file_status", "VARCHAR"),  # loaded | quarantined | ignored
    ("table_name", "VARCHAR"),  # the raw table it fills; NULL for an ignored file
    ("reason", "VARCHAR"),  # why a file was quarantined whole or ignored
)


def _create(con: duckdb.DuckDBPyConnection, table: str, columns) -> None:
    body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.{table} ({body})")


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for source in ALL_SOURCES:
        _create(con, source.table, source.raw_columns)
    _create(con, "quarantined_records", QUARANTINE_COLUMNS)
    _create(con, "landing_files", LANDING_FILE_COLUMNS)
    # A WORK database written before `reason` existed gains it (as its last column).
    con.execute("ALTER TABLE raw.landing_files ADD COLUMN IF NOT EXISTS reason VARCHAR")
