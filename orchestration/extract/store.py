"""Raw and audit tables of the WORK database, and the per-file load bookkeeping."""

from __future__ import annotations

import os
import secrets

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
    # The record's identifying field as delivered (request_id, deployment_id,
    # employee_id, model, contract_id), null when the line could not be split
    # into fields: the serving file keeps only this of a rejected roster line.
    ("record_key", "VARCHAR"),
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


# Usage days whose raw rows changed since dbt last rebuilt them: a partition
# load queues the request days of the rows it removes and of the rows it adds,
# and of every other copy of their request_ids (the winning copy may move), and
# the usage model rebuilds exactly those days, then empties the queue.
USAGE_DAYS_TO_REBUILD = "usage_days_to_rebuild"

# The key of the keyed hash that pseudonymises emails in the serving file.
PSEUDONYM_KEY_ENV = "AIW_PSEUDONYM_KEY"

# Provider cost reports (orchestration.extract.provider_costs). Created with
# the other raw tables so dbt can build before any report was delivered.
COST_TABLE = "provider_cost_results"
AMOUNT_TYPE = "DECIMAL(38, 12)"  # cents, exact
# The grouping fields that, with the bucket, identify a result.
KEY_FIELDS = (
    "workspace_id",
    "description",
    "cost_type",
    "context_window",
    "model",
    "service_tier",
    "token_type",
    "inference_geo",
)
COST_COLUMNS = (
    ("provider", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("result_ordinal", "BIGINT"),
    ("bucket_starting_at", "TIMESTAMP"),
    ("bucket_ending_at", "TIMESTAMP"),
    *((name, "VARCHAR") for name in KEY_FIELDS),
    ("currency", "VARCHAR"),
    ("amount_cents", AMOUNT_TYPE),
)
# Every bucket of a page, results or not: a day the report covers with no
# token spend is invoiced at zero, a day it does not cover is not invoiced.
BUCKETS_TABLE = "provider_cost_buckets"
BUCKET_COLUMNS = (
    ("provider", "VARCHAR"),
    ("source_file", "VARCHAR"),
    ("bucket_starting_at", "TIMESTAMP"),
    ("bucket_ending_at", "TIMESTAMP"),
)


def _create(con: duckdb.DuckDBPyConnection, table: str, columns) -> None:
    body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS raw.{table} ({body})")
    # A WORK database written by an older version gains the newer columns.
    present = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'raw' AND table_name = ?",
            [table],
        ).fetchall()
    }
    for name, sql_type in columns:
        if name not in present:
            con.execute(f"ALTER TABLE raw.{table} ADD COLUMN {name} {sql_type}")


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for source in ALL_SOURCES:
        _create(con, source.table, source.raw_columns)
    _create(con, COST_TABLE, COST_COLUMNS)
    _create(con, BUCKETS_TABLE, BUCKET_COLUMNS)
    _create(con, "quarantined_records", QUARANTINE_COLUMNS)
    _create(con, "landing_files", LANDING_FILE_COLUMNS)
    _create(con, USAGE_DAYS_TO_REBUILD, (("usage_date", "DATE"),))
    ensure_pseudonym_key(con)


def ensure_pseudonym_key(con: duckdb.DuckDBPyConnection) -> None:
    """One secret per warehouse, kept in WORK (never published): the key of the
    pseudonyms. AIW_PSEUDONYM_KEY, when set, replaces it, so several warehouses
    (or a WORK file rebuilt from scratch) give the same pseudonyms."""
    _create(con, "pseudonym_key", (("pseudonym_key", "VARCHAR"),))
    wanted = os.environ.get(PSEUDONYM_KEY_ENV) or None
    current = con.execute("SELECT pseudonym_key FROM raw.pseudonym_key").fetchall()
    if wanted is not None and current != [(wanted,)]:
        con.execute("DELETE FROM raw.pseudonym_key")
        con.execute("INSERT INTO raw.pseudonym_key VALUES (?)", [wanted])
    elif wanted is None and len(current) != 1:
        con.execute("DELETE FROM raw.pseudonym_key")
        con.execute("INSERT INTO raw.pseudonym_key VALUES (?)", [secrets.token_hex(32)])
