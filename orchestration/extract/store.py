"""Raw and audit tables of the WORK database, and the per-file load bookkeeping."""

from __future__ import annotations

import os
import secrets

import duckdb

from orchestration.extract import sources
from orchestration.extract.sources import ALL_SOURCES
from orchestration.extract.sources import PARTITIONED as ALL_PARTITIONED

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
    # Records read that are not usage (OTel user_prompt, tool_result, ...); 0
    # for every other source, and for the rows of a WORK database written before
    # the column existed. lines_read = rows_loaded + rows_skipped + rows_quarantined.
    ("rows_skipped", "BIGINT DEFAULT 0"),
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


# Usage and activity as the real tools write it (../shared/spec/sources.md).
# Columns keep each tool's own names where a field maps one to one; dbt staging
# renames them to the canonical request. Extraction computes only what it must
# judge a record by (the Claude Code request_id, LiteLLM's input = prompt -
# cached, which may not be negative). Every table leads with its landing
# position: dt, source_file, line_number (1-based line of the file) and, where
# one line holds many records (OTLP/JSON), record_index (0-based within it).
LANDING_POSITION = sources.DELIVERY_DAY + sources.FILE_LINE
CLAUDE_CODE_TABLE = "claude_code_api_requests"
CLAUDE_CODE_COLUMNS = (
    *LANDING_POSITION,
    ("record_index", "BIGINT"),
    ("event_name", "VARCHAR"),  # api_request | api_error
    ("request_id", "VARCHAR"),  # cc- + 32 hex digits (sources.md)
    ("requested_at", "TIMESTAMP"),  # UTC
    ("user_email", "VARCHAR"),
    ("account_uuid", "VARCHAR"),
    ("session_id", "VARCHAR"),
    ("model", "VARCHAR"),
    ("input_tokens", "BIGINT"),
    ("output_tokens", "BIGINT"),
    ("cache_read_tokens", "BIGINT"),
    ("cache_creation_tokens", "BIGINT"),
    ("cost_usd", "DOUBLE"),
    ("error", "VARCHAR"),
)
LITELLM_TABLE = "litellm_spend_logs"
LITELLM_COLUMNS = (
    *LANDING_POSITION,
    ("request_id", "VARCHAR"),
    ("start_time", "TIMESTAMP"),  # UTC (no offset = UTC, for LiteLLM only)
    ("litellm_user", "VARCHAR"),  # the `user` column
    ("api_key", "VARCHAR"),  # LiteLLM's hashed key
    ("request_tags", "VARCHAR"),  # JSON array as delivered
    ("model", "VARCHAR"),  # as delivered, provider/ prefix included
    ("session_id", "VARCHAR"),
    ("agent_id", "VARCHAR"),
    ("status", "VARCHAR"),  # as delivered
    ("prompt_tokens", "BIGINT"),
    ("completion_tokens", "BIGINT"),
    ("cache_read_input_tokens", "BIGINT"),  # metadata.usage_object, absent = 0
    ("cache_creation_input_tokens", "BIGINT"),  # metadata.usage_object, absent = 0
    ("input_tokens", "BIGINT"),  # prompt - cache_read - cache_creation, >= 0
    ("spend", "DOUBLE"),
)
COPILOT_TABLE = "copilot_user_days"
COPILOT_COLUMNS = (
    *LANDING_POSITION,
    ("day", "DATE"),
    ("user_login", "VARCHAR"),
    ("user_initiated_interaction_count", "BIGINT"),
    ("code_generation_activity_count", "BIGINT"),
    ("code_acceptance_activity_count", "BIGINT"),
    ("loc_added_sum", "BIGINT"),
    ("used_agent", "BOOLEAN"),
    ("used_chat", "BOOLEAN"),
    ("breakdowns", "VARCHAR"),  # the per-IDE / feature / model breakdowns, JSON
)
IDENTITIES_TABLE = "identities"
IDENTITY_TYPES = sources.IDENTITY_TYPES  # defined once, with the identities source
IDENTITIES_COLUMNS = (
    *sources.FILE_LINE,  # a reference file: no delivery day
    ("employee_id", "VARCHAR"),
    ("identity_type", "VARCHAR"),
    ("identity_value", "VARCHAR"),
    ("effective_from", "DATE"),
    ("effective_to", "DATE"),  # exclusive; null = open
)
SOURCE_TABLES = (
    (CLAUDE_CODE_TABLE, CLAUDE_CODE_COLUMNS),
    (LITELLM_TABLE, LITELLM_COLUMNS),
    (COPILOT_TABLE, COPILOT_COLUMNS),
    (IDENTITIES_TABLE, IDENTITIES_COLUMNS),
)


def _raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The columns of every table in schema raw, from one catalog query."""
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'raw'"
    ).fetchall():
        present.setdefault(table, set()).add(column)
    return present


def _create(con: duckdb.DuckDBPyConnection, table: str, columns, present: dict) -> None:
    if table not in present:
        body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS raw.{table} ({body})")
        return
    # A WORK database written by an older version gains the newer columns.
    for name, sql_type in columns:
        if name not in present[table]:
            con.execute(f"ALTER TABLE raw.{table} ADD COLUMN {name} {sql_type}")


def _raw_tables():
    for source in ALL_SOURCES:
        yield source.table, source.raw_columns
    yield COST_TABLE, COST_COLUMNS
    yield BUCKETS_TABLE, BUCKET_COLUMNS
    yield from SOURCE_TABLES
    yield "quarantined_records", QUARANTINE_COLUMNS
    yield "landing_files", LANDING_FILE_COLUMNS
    yield USAGE_DAYS_TO_REBUILD, (("usage_date", "DATE"),)
    yield PSEUDONYM_KEY, (("pseudonym_key", "VARCHAR"),)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Every raw table with every column this version writes. Each load calls
    it, so it reads the catalog once and writes only what is missing."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    present = _raw_columns(con)
    for table, columns in _raw_tables():
        _create(con, table, columns, present)
    _ensure_lake_partitions(con, present)
    ensure_pseudonym_key(con)


# The current load of each delivery partition: a new load_id each time a load
# replaces it. The Parquet lake stamps its files with it, so a partition whose
# file carries another id is stale (orchestration/lake.py).
LAKE_PARTITIONS = "lake_partitions"
LAKE_PARTITION_COLUMNS = (("table_name", "VARCHAR"), ("dt", "DATE"), ("load_id", "VARCHAR"))


def _ensure_lake_partitions(con: duckdb.DuckDBPyConnection, present: dict) -> None:
    if LAKE_PARTITIONS in present:
        return
    _create(con, LAKE_PARTITIONS, LAKE_PARTITION_COLUMNS, present)
    # A WORK database written before the table existed: its loaded days get an id.
    for source in ALL_PARTITIONED:
        con.execute(
            f"INSERT INTO raw.{LAKE_PARTITIONS} SELECT ?, dt, CAST(uuid() AS VARCHAR) "
            f"FROM (SELECT DISTINCT dt FROM raw.{source.table} WHERE dt IS NOT NULL)",
            [source.table],
        )


PSEUDONYM_KEY = "pseudonym_key"


def ensure_pseudonym_key(con: duckdb.DuckDBPyConnection) -> None:
    """One secret per warehouse, kept in WORK (never published): the key of the
    pseudonyms. AIW_PSEUDONYM_KEY, when set, replaces it, so several warehouses
    (or a WORK file rebuilt from scratch) give the same pseudonyms."""
    wanted = os.environ.get(PSEUDONYM_KEY_ENV) or None
    current = con.execute(f"SELECT pseudonym_key FROM raw.{PSEUDONYM_KEY}").fetchall()
    if wanted is not None and current != [(wanted,)]:
        con.execute(f"DELETE FROM raw.{PSEUDONYM_KEY}")
        con.execute(f"INSERT INTO raw.{PSEUDONYM_KEY} VALUES (?)", [wanted])
    elif wanted is None and len(current) != 1:
        con.execute(f"DELETE FROM raw.{PSEUDONYM_KEY}")
        con.execute(f"INSERT INTO raw.{PSEUDONYM_KEY} VALUES (?)", [secrets.token_hex(32)])
