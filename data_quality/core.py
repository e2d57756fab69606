"""What every check shares: the outcome it reports, the run's scope, SQL helpers."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from data_quality.config import DQConfig
from data_quality.expectations import Verdict

Connection = duckdb.DuckDBPyConnection


def usage_days_touched(
    partitions_predicate: str,
    table: str = "raw.usage_requests",
    key: str = "request_id",
    event_time: str = "requested_at",
) -> str:
    """SQL: the distinct request days (`usage_date`) that loading the
    partitions matching `partitions_predicate` (on `dt`) of the request-level
    `table` can change: the days of every raw copy of their request_ids, since a copy
    added or removed can change which copy wins and the copies may sit on
    other days (a correction moving a request). Extraction queues exactly
    these days for dbt (raw.usage_days_to_rebuild); the checks look at them.
    `key` and `event_time` name the request key and time columns of sources
    whose raw table names them otherwise (LiteLLM's start_time)."""
    return (
        f"SELECT DISTINCT CAST({event_time} AS DATE) AS usage_date FROM {table} "
        f"WHERE {key} IN (SELECT {key} FROM {table} WHERE {partitions_predicate})"
    )


@dataclass(frozen=True)
class Outcome:
    """A check's verdict with the figures behind it, ready for Dagster and the audit table."""

    passed: bool
    observed: float | None
    threshold: float | None
    summary: str
    figures: dict[str, Any] = field(default_factory=dict)
    verdicts: tuple[Verdict, ...] = ()

    @classmethod
    def from_verdicts(
        cls,
        verdicts: Mapping[str, Verdict],
        *,
        observed: float | None,
        threshold: float | None,
        summary: str,
        figures: dict[str, Any] | None = None,
    ) -> Outcome:
        """A check judged by Great Expectations passes when every one of its
        expectations did, and carries their verdicts."""
        return cls(
            passed=all(v.success for v in verdicts.values()),
            observed=observed,
            threshold=threshold,
            summary=summary,
            figures=figures or {},
            verdicts=tuple(verdicts.values()),
        )


@dataclass(frozen=True)
class Scope:
    """The delivery partitions the run loaded; unbounded when the run had none
    (a manual check run), in which case checks look at the whole history."""

    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def bounded(self) -> bool:
        return self.first is not None and self.last is not None

    def dt_predicate(self, column: str = "dt") -> str:
        if not self.bounded:
            return "TRUE"
        return (
            f"{column} BETWEEN DATE '{self.first.isoformat()}' AND DATE '{self.last.isoformat()}'"
        )

    def event_days(self, con: Connection) -> list[dt.date] | None:
        """The request days the run's partitions touched: the days dbt rebuilt
        for them (None: the whole history)."""
        if not self.bounded:
            return None
        rows = con.sql(f"{usage_days_touched(self.dt_predicate())} ORDER BY 1").fetchall()
        return [day for (day,) in rows]

    def describe(self) -> str:
        if not self.bounded:
            return "whole history"
        return f"delivery partitions {self.first.isoformat()}..{self.last.isoformat()}"


@dataclass(frozen=True)
class CheckSpec:
    name: str
    asset: tuple[str, ...]
    description: str
    default_severity: str
    evaluate: Callable[[Connection, DQConfig, Scope], Outcome]

    @property
    def asset_string(self) -> str:
        return "/".join(self.asset)


def frame(con: Connection, sql: str, params: list | None = None) -> pd.DataFrame:
    # DuckDB 2.0 dropped .pl() on execute(); relations from sql() still have it.
    return con.sql(sql, params=params).pl().to_pandas()


def row(con: Connection, sql: str, params: list | None = None) -> dict[str, Any]:
    relation = con.sql(sql, params=params)
    # DuckDB 2.0 relations have no fetchone(): each call would run the query again.
    (values,) = relation.fetchall()
    return dict(zip(relation.columns, values, strict=True))


def relation_exists(con: Connection, relation: str) -> bool:
    schema, _, name = relation.rpartition(".")
    found = con.sql(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? "
        "UNION ALL SELECT count(*) FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = ? AND view_name = ?",
        params=[schema or "main", name, schema or "main", name],
    ).fetchall()
    return any(count for (count,) in found)


def has_column(con: Connection, relation: str, column: str) -> bool:
    schema, _, name = relation.rpartition(".")
    (count,) = con.sql(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? AND column_name = ?",
        params=[schema or "main", name, column],
    ).fetchall()[0]
    return count > 0


def records(data: pd.DataFrame, limit: int = 20) -> list[dict[str, Any]]:
    """Rows as JSON-friendly dicts (dates as ISO text, NaN as null), at most `limit`."""
    return [{k: plain(v) for k, v in r.items()} for r in data.head(limit).to_dict("records")]


def plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return plain(value.item())
    return value


def jsonable(value: Any) -> Any:
    """`value` with every nested date, numpy scalar or NaN made plain JSON."""
    return json.loads(json.dumps(value, default=_json_default, allow_nan=False))


def _json_default(value: Any) -> Any:
    converted = plain(value)
    return str(converted) if converted is value else converted


def number(value: Any) -> float | None:
    value = plain(value)
    return None if value is None else float(value)


def fmt(value: Any) -> str:
    """A figure for a one-line message: integers bare, shares to four digits."""
    value = plain(value)
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value)}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
