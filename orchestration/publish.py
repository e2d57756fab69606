"""Write-audit-publish: copy the audited BI schemas into the serving file atomically.

The serving file is never opened for writing. A new file is built beside it and
renamed over it, so a BI reader holding the old file open keeps a consistent
old version and the next connection sees the complete new one.

The file is written in the storage format of `serving_storage_version()` (DuckDB
1.1 by default), so clients older than the DuckDB that builds it can open it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.settings import serving_storage_version

PUBLISHED_SCHEMAS = ("marts", "restricted", "audit")
# One row per serving file: who wrote it and when. `aiw run` replaces an
# existing file only when it finds this table (orchestration/run_guard.py).
PUBLICATION_TABLE = ("audit", "publication")
PRODUCER = "ai-impact-warehouse"


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


def _staging_path(serving_path: Path) -> Path:
    return serving_path.with_name(f".{serving_path.name}.{uuid.uuid4().hex}.tmp")


def remove_stale_staging(serving_path: Path) -> list[Path]:
    """Remove the staging files (and their WAL) of publishes that were killed.

    A staging file a live process is still writing is DuckDB-locked and kept.
    """
    serving_path = Path(serving_path)
    removed = []
    pattern = f".{serving_path.name}.*.tmp"
    for staging in sorted(serving_path.parent.glob(pattern)):
        try:
            fd = os.open(staging, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                continue  # a publish in progress holds it
            raise
        finally:
            os.close(fd)
        for path in (staging, staging.with_name(staging.name + ".wal")):
            path.unlink(missing_ok=True)
        removed.append(staging)
    for wal in serving_path.parent.glob(f"{pattern}.wal"):
        if not wal.with_name(wal.name.removesuffix(".wal")).exists():
            wal.unlink(missing_ok=True)
    return removed


def _target_alias(con: duckdb.DuckDBPyConnection) -> str:
    """The name the staging file is attached under. DuckDB names the WORK
    database after its file name up to the first dot, so a warehouse called
    `serving.duckdb` has a WORK database called `serving`: never reuse it."""
    current = con.execute("SELECT current_database()").fetchone()[0]
    return "serving" if current != "serving" else "serving_target"


def _write_publication(con: duckdb.DuckDBPyConnection, target: str) -> None:
    schema, name = PUBLICATION_TABLE
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {target}.{schema}")
    con.execute(
        f"CREATE TABLE {target}.{schema}.{name} AS "
        "SELECT ?::VARCHAR AS producer, now()::TIMESTAMPTZ AS published_at",
        [PRODUCER],
    )
    con.execute(
        f"COMMENT ON TABLE {target}.{schema}.{name} IS "
        "'The publish that wrote this serving file (one row).'"
    )
    con.execute(
        f"COMMENT ON COLUMN {target}.{schema}.{name}.producer IS "
        "'Always ai-impact-warehouse: aiw run replaces only serving files it wrote.'"
    )
    con.execute(
        f"COMMENT ON COLUMN {target}.{schema}.{name}.published_at IS "
        "'When this version of the serving file was published.'"
    )


def publish(work_path: Path, serving_path: Path) -> PublishResult:
    started = time.perf_counter()
    serving_path = Path(serving_path)
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_path(serving_path)
    con = duckdb.connect(str(work_path))
    try:
        relations = published_relations(con)
        target = _target_alias(con)
        con.execute(
            f"ATTACH {_quote(str(staging))} AS {target} "
            f"(STORAGE_VERSION {_quote(serving_storage_version())})"
        )
        rows = 0
        for schema in sorted({schema for schema, _, _ in relations}):
            con.execute(f"CREATE SCHEMA {target}.{schema}")
        for schema, name, comment in relations:
            # Views become tables: the serving file must stand alone.
            con.execute(f"CREATE TABLE {target}.{schema}.{name} AS SELECT * FROM {schema}.{name}")
            rows += con.execute(f"SELECT count(*) FROM {target}.{schema}.{name}").fetchone()[0]
            if comment:
                con.execute(f"COMMENT ON TABLE {target}.{schema}.{name} IS {_quote(comment)}")
            for column, column_comment in con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
                "AND schema_name = ? AND table_name = ? AND comment IS NOT NULL",
                [schema, name],
            ).fetchall():
                con.execute(
                    f'COMMENT ON COLUMN {target}.{schema}.{name}."{column}" IS {_quote(column_comment)}'
                )
        _write_publication(con, target)
        con.execute(f"DETACH {target}")
        con.close()
        # Durable before it becomes visible: a crash after the rename must not
        # leave a serving file whose pages never reached the disk.
        with open(staging, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(staging, serving_path)
    except BaseException:
        con.close()
        staging.unlink(missing_ok=True)
        staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
        raise
    return PublishResult(
        serving_path=serving_path,
        tables=len(relations),
        rows=rows,
        bytes=serving_path.stat().st_size,
        seconds=time.perf_counter() - started,
    )
