"""Reading a DuckDB file a test produced (a WORK database or a serving file):
opened read-only and closed again, so the pipeline can open it next."""

from __future__ import annotations

from pathlib import Path


def query(database: Path, sql: str, params=None) -> list[tuple]:
    """The rows `sql` returns on the DuckDB file `database`."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table_names(database: Path) -> list[str]:
    """`schema.table` of every table in `database`, sorted."""
    return sorted(
        f"{schema}.{table}"
        for schema, table in query(database, "SELECT schema_name, table_name FROM duckdb_tables()")
    )
