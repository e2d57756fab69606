"""Compare a warehouse table with an expected CSV of the conformance case.

The rules of tests/fixtures/conformance/README.md: rows are compared as sets
(multisets) on the columns the CSV lists; numbers within 1e-9 relative;
timestamps as UTC instants; booleans as true/false; an empty cell is null.
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

REL_TOL = 1e-9
ABS_TOL = 1e-12

_INT_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "INT",
)
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")


def _kind(type_name: str) -> str:
    t = str(type_name).upper()
    if t.startswith("BOOL"):
        return "bool"
    if t.startswith(_FLOAT_TYPES):
        return "float"
    if t.startswith(_INT_TYPES):
        return "int"
    if t.startswith("TIMESTAMP") or t == "DATETIME":
        return "timestamp"
    if t == "DATE":
        return "date"
    return "str"


def _parse_timestamp(text: str) -> datetime:
    value = text.strip().replace(" ", "T", 1)
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    # "+0000" style offsets -> "+00:00"
    if len(value) > 5 and value[-5] in "+-" and value[-4:].isdigit():
        value = value[:-2] + ":" + value[-2:]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _from_csv(text: str, kind: str) -> Any:
    if text == "":
        return None
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"not a boolean: {text!r}")
        return lowered == "true"
    if kind == "int":
        number = float(text)
        return int(number) if number.is_integer() else number
    if kind == "float":
        return float(text)
    if kind == "date":
        return date.fromisoformat(text.strip()[:10])
    if kind == "timestamp":
        return _parse_timestamp(text)
    return text


def _from_db(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if kind == "timestamp" and isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _equal(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(float(expected), float(actual), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return expected == actual


def _rows_equal(expected: tuple, actual: tuple) -> bool:
    return all(_equal(e, a) for e, a in zip(expected, actual, strict=True))


def _fmt(row: tuple, columns: list[str]) -> str:
    return ", ".join(f"{c}={'null' if v is None else v}" for c, v in zip(columns, row, strict=True))


def _quote(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def compare_table(con, table: str, expected_csv_path: str | Path) -> list[str]:
    """Differences between `table` (e.g. "marts.fct_token_usage_daily") and the CSV.

    Returns human-readable differences; an empty list means the table holds
    exactly the expected rows on the CSV's columns.
    """
    with open(expected_csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        columns = next(reader)
        expected_text = [row for row in reader if row]

    try:
        described = con.execute(f"select * from {_quote(table)} limit 0").description
    except Exception as exc:  # any engine error is a reportable difference
        return [f"{table}: cannot be read ({exc})"]
    types = {d[0].lower(): d[1] for d in described}
    missing = [c for c in columns if c.lower() not in types]
    if missing:
        return [f"{table}: missing column(s) {', '.join(missing)}"]
    kinds = [_kind(types[c.lower()]) for c in columns]

    differences: list[str] = []
    expected_rows: list[tuple] = []
    for number, raw in enumerate(expected_text, start=2):
        if len(raw) != len(columns):
            differences.append(
                f"{expected_csv_path}:{number}: {len(raw)} fields, header has {len(columns)}"
            )
            continue
        try:
            expected_rows.append(tuple(_from_csv(v, k) for v, k in zip(raw, kinds, strict=True)))
        except ValueError as exc:
            differences.append(f"{expected_csv_path}:{number}: {exc}")

    select_list = ", ".join(_quote(c) for c in columns)
    actual_rows = [
        tuple(_from_db(v, k) for v, k in zip(row, kinds, strict=True))
        for row in con.execute(f"select {select_list} from {_quote(table)}").fetchall()
    ]

    # exact-key pre-matching keeps this linear for large tables; tolerance is
    # only needed for floats, so the key leaves float columns out
    def key(row: tuple) -> tuple:
        return tuple(None if k == "float" else v for v, k in zip(row, kinds, strict=True))

    pool: dict[tuple, list[tuple]] = {}
    for row in actual_rows:
        pool.setdefault(key(row), []).append(row)

    unmatched_expected: list[tuple] = []
    for row in expected_rows:
        candidates = pool.get(key(row), [])
        for index, candidate in enumerate(candidates):
            if _rows_equal(row, candidate):
                del candidates[index]
                break
        else:
            unmatched_expected.append(row)
    unexpected = [row for rows in pool.values() for row in rows]

    for row in unmatched_expected:
        differences.append(f"{table}: missing expected row: {_fmt(row, columns)}")
    for row in unexpected:
        differences.append(f"{table}: unexpected row: {_fmt(row, columns)}")
    if len(expected_rows) != len(actual_rows):
        differences.append(f"{table}: {len(actual_rows)} rows, expected {len(expected_rows)}")
    return differences


def compare_all(con, expected_dir: str | Path) -> dict[str, list[str]]:
    """compare_table for every `<schema>.<table>.csv` in expected_dir."""
    results: dict[str, list[str]] = {}
    for path in sorted(Path(expected_dir).glob("*.csv")):
        table = path.name[: -len(".csv")]
        results[table] = compare_table(con, table, path)
    return results


DOUBLE_DIGITS = 12


def differing_tables(
    a_path: str | Path,
    b_path: str | Path,
    schemas: tuple[str, ...],
    exclude: tuple[str, ...] = (),
    tolerance: float | None = None,
) -> list[str]:
    """Tables of `schemas` that differ between two DuckDB files (or exist in only
    one), one line each; an empty list means both hold the same rows.

    `exclude` names tables (schema.table) left out, such as a run log.
    Parallel float sums may differ in the last bits between two builds, so
    doubles are compared on DOUBLE_DIGITS significant digits, everything else
    exactly. Two engines add in different orders, and two values within the
    last bits of each other can round to different digits (0.6528477675 and
    0.6528477675000001), so with `tolerance` doubles instead match when within
    `tolerance` of each other, relative or absolute (a 1-ulp residue of a
    difference of equal sums is 0 on one engine), rows being paired by their
    other columns. Views are compared as the tables they evaluate to.
    """
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"attach '{a_path}' as a (read_only)")
        con.execute(f"attach '{b_path}' as b (read_only)")
        listed = ", ".join(f"'{s}'" for s in schemas)
        tables = {
            db: {
                row
                for row in con.execute(
                    "select schema_name || '.' || table_name from duckdb_tables() "
                    f"where database_name = ? and schema_name in ({listed}) "
                    "union all select schema_name || '.' || view_name from duckdb_views() "
                    f"where database_name = ? and schema_name in ({listed})",
                    [db, db],
                ).fetchall()
                if row[0] not in exclude
            }
            for db in ("a", "b")
        }
        differing = [
            f"{name}: only in {db}"
            for db, other in (("a", "b"), ("b", "a"))
            for (name,) in sorted(tables[db] - tables[other])
        ]
        if not tables["a"]:
            differing.append("no tables at all")
        for (name,) in sorted(tables["a"] & tables["b"]):
            schema, table = name.split(".")
            columns = con.execute(
                "select column_name, data_type from duckdb_columns()"
                " where database_name = 'a' and schema_name = ? and table_name = ?"
                " order by column_index",
                [schema, table],
            ).fetchall()
            if tolerance is not None:
                only_a, only_b = _unmatched_within(con, name, columns, tolerance)
            else:
                select_list = ", ".join(
                    f"printf('%.{DOUBLE_DIGITS}g', \"{column}\")"
                    if data_type in ("DOUBLE", "FLOAT")
                    else f'"{column}"'
                    for column, data_type in columns
                )
                only_a, only_b = (
                    con.execute(
                        f"select count(*) from (select {select_list} from {x}.{name}"
                        f" except all select {select_list} from {y}.{name})"
                    ).fetchall()[0][0]
                    for x, y in (("a", "b"), ("b", "a"))
                )
            if only_a or only_b:
                differing.append(
                    f"{name}: {only_a} rows only in {a_path}, {only_b} only in {b_path}"
                )
        return differing
    finally:
        con.close()


def _unmatched_within(con, name: str, columns: list, tolerance: float) -> tuple[int, int]:
    """Rows of a.`name` and b.`name` left unpaired when rows with equal
    non-double columns are paired in order of their doubles, and a pair
    matches when every double is within `tolerance` (relative or absolute)."""
    double = [data_type in ("DOUBLE", "FLOAT") for _, data_type in columns]
    # both sides in a's types, as a set operation would (Spark's Parquet
    # timestamps are read back as TIMESTAMP WITH TIME ZONE)
    select_list = ", ".join(f'cast("{column}" as {data_type})' for column, data_type in columns)

    def grouped(db: str) -> dict[tuple, list[tuple]]:
        groups: dict[tuple, list[tuple]] = {}
        for row in con.execute(f"select {select_list} from {db}.{name}").fetchall():
            key = tuple(v for v, d in zip(row, double, strict=True) if not d)
            doubles = tuple(v for v, d in zip(row, double, strict=True) if d)
            groups.setdefault(key, []).append(doubles)
        return {
            key: sorted(rows, key=lambda r: [(v is None, 0.0 if v is None else v) for v in r])
            for key, rows in groups.items()
        }

    def close(x: float | None, y: float | None) -> bool:
        if x is None or y is None:
            return x is None and y is None
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return math.isclose(x, y, rel_tol=tolerance, abs_tol=tolerance)

    a, b = grouped("a"), grouped("b")
    only_a = only_b = 0
    for key in a.keys() | b.keys():
        rows_a, rows_b = a.get(key, []), b.get(key, [])
        paired = sum(
            all(close(x, y) for x, y in zip(ra, rb, strict=True))
            for ra, rb in zip(rows_a, rows_b, strict=False)
        )
        only_a += len(rows_a) - paired
        only_b += len(rows_b) - paired
    return only_a, only_b


__all__ = ["compare_all", "compare_table", "differing_tables"]
