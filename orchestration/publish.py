"""Write-audit-publish: copy the audited BI schemas into the serving file atomically.

The serving file is never opened for writing. A new file is built beside it and
renamed over it, so a BI reader holding the old file open keeps a consistent
old version and the next connection sees the complete new one.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS = ("marts", "restricted", "audit")


@dataclass(frozen=True)
class PublishResult:
    serving_path: Path
    tables: int
    rows: int
    bytes: int
    seconds: float


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def published_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    return con.execute(
        f"""
        SELECT schema_name, table_name, comment FROM duckdb_tables()
        WHERE database_name = current_database() AND schema_name IN {PUBLISHED_SCHEMAS}
        UNION ALL
        SELECT schema_name, view_name, comment FROM duckdb_views()
        WHERE database_name = current_database() AND schema_name IN {PUBLISHED_SCHEMAS}
        ORDER BY 1, 2
        """
    ).fetchall()


def publish(work_path: Path, serving_path: Path) -> PublishResult:
    started = time.perf_counter()
    serving_path = Path(serving_path)
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    staging = serving_path.with_name(f".{serving_path.name}.{uuid.uuid4().hex}.tmp")
    con = duckdb.connect(str(work_path))
    try:
        relations = published_relations(con)
        con.execute(f"ATTACH {_quote(str(staging))} AS serving")
        rows = 0
        for schema in sorted({schema for schema, _, _ in relations}):
            con.execute(f"CREATE SCHEMA serving.{schema}")
        for schema, name, comment in relations:
            # Views become tables: the serving file must stand alone.
            con.execute(f"CREATE TABLE serving.{schema}.{name} AS SELECT * FROM {schema}.{name}")
            rows += con.execute(f"SELECT count(*) FROM serving.{schema}.{name}").fetchone()[0]
            if comment:
                con.execute(f"COMMENT ON TABLE serving.{schema}.{name} IS {_quote(comment)}")
            for column, column_comment in con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = ? AND table_name = ? AND comment IS NOT NULL",
                [schema, name],
            ).fetchall():
                con.execute(
                    f'COMMENT ON COLUMN serving.{schema}.{name}."{column}" IS {_quote(column_comment)}'
                )
        con.execute("DETACH serving")
    except BaseException:
        con.close()
        staging.unlink(missing_ok=True)
        raise
    con.close()
    with open(staging, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(staging, serving_path)
    return PublishResult(
        serving_path=serving_path,
        tables=len(relations),
        rows=rows,
        bytes=serving_path.stat().st_size,
        seconds=time.perf_counter() - started,
    )
