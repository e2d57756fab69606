"""audit.check_results: one row per check per run, kept in the WORK database.

Publish copies schema `audit` into the serving file, so a dashboard shows data
health beside the figures it qualifies, including the runs that were not
published because a blocking check failed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb

from data_quality.core import Outcome, jsonable

TABLE = "audit.check_results"

_COLUMNS = (
    ("run_id", "VARCHAR NOT NULL", "Dagster run id of the run that executed the check."),
    ("checked_at", "TIMESTAMP NOT NULL", "When the check finished, UTC."),
    ("check_name", "VARCHAR NOT NULL", "Name of the check (data_quality.checks.CHECK_NAMES)."),
    ("asset", "VARCHAR NOT NULL", "Checked asset, e.g. marts/team_weekly_metrics."),
    ("passed", "BOOLEAN NOT NULL", "Whether the data met the expectation."),
    ("severity", "VARCHAR NOT NULL", "ERROR (blocks the publish when failed) or WARN."),
    ("blocking", "BOOLEAN NOT NULL", "True when a failure stops the publish."),
    ("observed_value", "DOUBLE", "The headline figure the check measured."),
    ("threshold", "DOUBLE", "The limit the observed value is judged against."),
    ("summary", "VARCHAR", "One line with the figures behind the verdict."),
    (
        "details",
        "JSON",
        "Every figure, the offending rows (first 20) and each expectation's result.",
    ),
)


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    if _exists(con):
        return
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    body = ", ".join(f"{name} {sql_type}" for name, sql_type, _ in _COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({body})")
    con.execute(
        f"COMMENT ON TABLE {TABLE} IS 'Data-quality check results: one row per check per run.'"
    )
    for name, _, comment in _COLUMNS:
        quoted = comment.replace("'", "''")
        con.execute(f"COMMENT ON COLUMN {TABLE}.{name} IS '{quoted}'")


def _exists(con: duckdb.DuckDBPyConnection) -> bool:
    (count,) = con.sql(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'audit' AND table_name = 'check_results'"
    ).fetchall()[0]
    return count > 0


def details_json(outcome: Outcome) -> str:
    document = {
        "summary": outcome.summary,
        "figures": outcome.figures,
        "expectations": [v.as_dict() for v in outcome.verdicts],
    }
    return json.dumps(jsonable(document), sort_keys=True)


def record(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    check_name: str,
    asset: str,
    severity: str,
    blocking: bool,
    outcome: Outcome,
) -> None:
    ensure_table(con)
    con.execute(
        f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            check_name,
            asset,
            outcome.passed,
            severity,
            blocking,
            outcome.observed,
            outcome.threshold,
            outcome.summary,
            details_json(outcome),
        ],
    )


def read_check_results(work_path: str | Path, run_id: str | None = None) -> list[dict[str, Any]]:
    """Rows of audit.check_results (of one run when given), oldest first; for
    tests and tools that inspect data health without Dagster."""
    con = duckdb.connect(str(work_path), read_only=True)
    try:
        if not _exists(con):
            return []
        where, params = ("WHERE run_id = ?", [run_id]) if run_id else ("", [])
        relation = con.sql(
            f"SELECT * FROM {TABLE} {where} ORDER BY checked_at, check_name", params=params
        )
        columns = relation.columns
        return [dict(zip(columns, values, strict=True)) for values in relation.fetchall()]
    finally:
        con.close()
