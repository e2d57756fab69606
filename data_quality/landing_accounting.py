"""Source-level checks on the raw tables and the per-file accounting.

Extraction records every file it read in raw.landing_files. These checks hold
that record against the rows actually present, so a line lost between the
loader's count and the table, or a partition whose files yielded nothing,
is visible even when no step failed.
"""

from __future__ import annotations

import re

import pandas as pd

from data_quality.config import DQConfig
from data_quality.core import (
    Connection,
    Outcome,
    Scope,
    fmt,
    frame,
    has_column,
    records,
    relation_exists,
)
from data_quality.expectations import expectation, is_true, rejected, validate, validate_one

_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _partitions(con: Connection, source: str, table: str, scope: Scope) -> pd.DataFrame:
    return frame(
        con,
        f"""
        WITH files AS (
            SELECT dt, count(*) AS files,
                   count(*) FILTER (WHERE file_status = 'quarantined') AS quarantined_files,
                   sum(lines_read) AS lines_read, sum(rows_loaded) AS rows_loaded
            FROM raw.landing_files WHERE source = ? AND {scope.dt_predicate()}
            GROUP BY dt
        ), loaded AS (
            SELECT dt, count(*) AS rows_in_table FROM {table}
            WHERE {scope.dt_predicate()} GROUP BY dt
        )
        SELECT files.*, coalesce(loaded.rows_in_table, 0) AS rows_in_table,
               -- files that were all empty legitimately load nothing
               files.quarantined_files > 0 OR files.lines_read > 0 AS expects_rows
        FROM files LEFT JOIN loaded ON files.dt = loaded.dt
        ORDER BY files.dt
        """,
        params=[source],
    )


def _partitions_have_rows(con: Connection, source: str, table: str, scope: Scope) -> Outcome:
    partitions = _partitions(con, source, table, scope)
    verdicts, empty = validate_one(
        partitions,
        "rows_where_files_delivered",
        "ExpectColumnValuesToBeBetween",
        column="rows_in_table",
        min_value=1,
        row_condition=is_true("expects_rows"),
    )
    return Outcome.from_verdicts(
        verdicts,
        observed=len(empty),
        threshold=0,
        summary=(
            f"{len(empty)} of {len(partitions)} {source} partitions with delivered files have no rows "
            f"in {table} ({scope.describe()})"
            + (f": {', '.join(str(d.date()) for d in empty.dt)}" if len(empty) else "")
        ),
        figures={
            "partitions": len(partitions),
            "rows": int(partitions.rows_in_table.sum()),
            "empty_partitions": records(empty),
        },
    )


def usage_partitions_have_rows(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    return _partitions_have_rows(con, "usage", "raw.usage_requests", scope)


def deploy_partitions_have_rows(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    return _partitions_have_rows(con, "deploys", "raw.deploy_records", scope)


def _raw_tables(con: Connection) -> list[str]:
    names = [
        name for (name,) in con.sql("SELECT DISTINCT table_name FROM raw.landing_files").fetchall()
    ]
    # table_name comes from data, and is spliced into SQL below.
    return sorted(n for n in names if n and _TABLE.match(n) and relation_exists(con, f"raw.{n}"))


def _rows_per_file(con: Connection, scope: Scope) -> str:
    """SQL: (table_name, source_file, rows) for the raw rows in scope."""
    parts = []
    for name in _raw_tables(con):
        where = scope.dt_predicate() if has_column(con, f"raw.{name}", "dt") else "TRUE"
        parts.append(
            f"SELECT '{name}' AS table_name, source_file, count(*) AS rows FROM raw.{name} "
            f"WHERE {where} GROUP BY source_file"
        )
    if not parts:
        return "SELECT NULL::VARCHAR AS table_name, NULL::VARCHAR AS source_file, 0 AS rows WHERE FALSE"
    return " UNION ALL ".join(parts)


def _files(con: Connection, scope: Scope) -> pd.DataFrame:
    in_scope = f"(dt IS NULL OR {scope.dt_predicate()})"
    return frame(
        con,
        f"""
        WITH files AS (
            SELECT * FROM raw.landing_files WHERE {in_scope}
        ), loaded AS ({_rows_per_file(con, scope)}),
        rejected AS (
            SELECT source_file, count(*) AS rows FROM raw.quarantined_records
            WHERE line_number IS NOT NULL AND {in_scope} GROUP BY source_file
        )
        SELECT files.source, files.dt, files.source_file, files.file_status,
               files.lines_read, files.rows_loaded, files.rows_skipped, files.rows_quarantined,
               files.rows_loaded + files.rows_skipped + files.rows_quarantined AS rows_accounted,
               coalesce(loaded.rows, 0) AS rows_in_table,
               coalesce(rejected.rows, 0) AS rows_in_quarantine
        FROM files
        LEFT JOIN loaded
            ON files.table_name = loaded.table_name AND files.source_file = loaded.source_file
        LEFT JOIN rejected ON files.source_file = rejected.source_file
        ORDER BY files.source_file
        """,
    )


def _orphans(con: Connection, scope: Scope) -> pd.DataFrame:
    """Raw rows whose file extraction never accounted for."""
    return frame(
        con,
        f"""
        WITH loaded AS ({_rows_per_file(con, scope)})
        SELECT loaded.table_name, loaded.source_file, loaded.rows FROM loaded
        ANTI JOIN raw.landing_files AS files
            ON files.table_name = loaded.table_name AND files.source_file = loaded.source_file
        ORDER BY 1, 2
        """,
    )


def landing_files_balanced(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    files = _files(con, scope)
    orphans = _orphans(con, scope)
    verdicts = validate(
        files,
        [
            expectation(
                "read_equals_loaded_plus_quarantined",
                "ExpectColumnPairValuesToBeEqual",
                column_A="lines_read",
                column_B="rows_accounted",
            ),
            expectation(
                "loaded_rows_present",
                "ExpectColumnPairValuesToBeEqual",
                column_A="rows_loaded",
                column_B="rows_in_table",
            ),
            expectation(
                "quarantined_rows_present",
                "ExpectColumnPairValuesToBeEqual",
                column_A="rows_quarantined",
                column_B="rows_in_quarantine",
            ),
        ],
    )
    verdicts |= validate(
        pd.DataFrame({"orphan_files": [len(orphans)]}),
        [
            expectation(
                "no_unaccounted_rows",
                "ExpectColumnValuesToBeBetween",
                column="orphan_files",
                min_value=0,
                max_value=0,
            )
        ],
    )
    unbalanced = rejected(
        files,
        verdicts,
        "read_equals_loaded_plus_quarantined",
        "loaded_rows_present",
        "quarantined_rows_present",
    )
    return Outcome.from_verdicts(
        verdicts,
        observed=len(unbalanced) + len(orphans),
        threshold=0,
        summary=(
            f"{len(unbalanced)} of {len(files)} files break lines read = rows loaded + rows "
            f"skipped + rows quarantined or disagree with the rows present; {len(orphans)} files have raw rows "
            f"but no accounting ({scope.describe()}); "
            f"{fmt(files.lines_read.sum())} lines read, {fmt(files.rows_loaded.sum())} loaded, "
            f"{fmt(files.rows_quarantined.sum())} quarantined"
        ),
        figures={
            "files": len(files),
            "lines_read": int(files.lines_read.sum()),
            "rows_loaded": int(files.rows_loaded.sum()),
            "rows_quarantined": int(files.rows_quarantined.sum()),
            "unbalanced_files": records(unbalanced),
            "unaccounted_files": records(orphans),
        },
    )
