"""Read access to a serving file, as the dashboard needs it: which tables it
holds, and query results as JSON-ready records."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from pathlib import Path

import duckdb


class ReportError(Exception):
    """The serving file cannot be read: one line, exit status 2."""


def _plain(value):
    """A value JSON (and so Vega) reads the same way everywhere."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        # A date-only ISO string is midnight UTC in JavaScript; charts format in UTC.
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Published:
    """A read-only view of one version of the serving file."""

    def __init__(self, path: Path):
        path = Path(path)
        if not path.is_file():
            raise ReportError(f"no serving file at {path}")
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise ReportError(f"{path} is not a readable DuckDB file: {exc}") from None
        self.path = path
        self.tables = {
            f"{schema}.{name}"
            for schema, name in self.con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE database_name = current_database() "
                "UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
                "WHERE database_name = current_database() AND NOT internal"
            ).fetchall()
        }

    def close(self) -> None:
        self.con.close()

    def has(self, table: str) -> bool:
        return table in self.tables

    def columns(self, table: str) -> set[str]:
        schema, name = table.split(".")
        return {
            row[0]
            for row in self.con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = ? AND table_name = ?",
                [schema, name],
            ).fetchall()
        }

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [
            {name: _plain(value) for name, value in zip(names, row, strict=True)}
            for row in cursor.fetchall()
        ]

    def one(self, sql: str, params: list | None = None) -> dict:
        found = self.rows(sql, params)
        return found[0] if found else {}
