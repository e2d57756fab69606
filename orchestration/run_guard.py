"""What `aiw run` makes sure of before it touches a warehouse.

- The path names a file this project may replace: missing, empty, or a DuckDB
  database that `publish` wrote (never README.md or someone's database).
- The folder is writable, checked by creating the lock file in it.
- No other run uses the warehouse: an exclusive `flock` on a lock file beside
  it, held for the whole run. The kernel releases it when the process ends,
  however it ends, so the lock of a killed run never blocks the next one.
- Staging files of a publish that was killed are removed.

Each refusal is a `WarehouseRefused`: one line, exit status 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from orchestration.publish import PUBLICATION_TABLE, PUBLISHED_SCHEMAS, remove_stale_staging

# Bytes 8..11 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"


class WarehouseRefused(Exception):
    """The warehouse path cannot be used by this run: exit status 2, one line."""


def lock_path_for(serving: Path) -> Path:
    return serving.with_name(f".{serving.name}.lock")


def check_replaceable(serving: Path) -> None:
    """Refuse a path whose current content a publish would destroy."""
    if serving.is_dir():
        raise WarehouseRefused(f"--warehouse {serving} is a folder, expected a DuckDB file path")
    if not serving.exists():
        return
    try:
        with open(serving, "rb") as handle:
            header = handle.read(12)
    except OSError as exc:
        raise WarehouseRefused(f"cannot read --warehouse {serving}: {exc.strerror}") from None
    if header == b"":
        return  # an empty file (made by `touch` or a deploy script) holds nothing to lose
    if header[8:12] != DUCKDB_MAGIC:
        raise WarehouseRefused(
            f"--warehouse {serving} exists and is not a DuckDB database; "
            "aiw run only replaces a serving file it wrote (choose another path)"
        )
    import duckdb

    try:
        con = duckdb.connect(str(serving), read_only=True)
        try:
            tables = con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE database_name = current_database() UNION ALL "
                "SELECT schema_name, view_name FROM duckdb_views() "
                "WHERE database_name = current_database() AND NOT internal"
            ).fetchall()
        finally:
            con.close()
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WarehouseRefused(f"cannot open --warehouse {serving}: {first_line}") from None
    if _written_by_publish(set(tables)):
        return
    raise WarehouseRefused(
        f"--warehouse {serving} is a DuckDB database this project did not write "
        f"({len(tables)} tables or views, no {'.'.join(PUBLICATION_TABLE)}); choose another path"
    )


def _written_by_publish(tables: set[tuple[str, str]]) -> bool:
    if not tables:
        return True  # an empty database: nothing to lose
    if PUBLICATION_TABLE in tables:
        return True
    # Serving files published before the publication table existed: only the
    # published schemas, with the audit table every run writes.
    return ("audit", "check_results") in tables and all(
        schema in PUBLISHED_SCHEMAS for schema, _ in tables
    )


@contextlib.contextmanager
def claim_warehouse(serving: Path) -> Iterator[None]:
    """Hold the warehouse for one run, after checking it may be replaced."""
    serving = Path(serving)
    check_replaceable(serving)
    lock_path = lock_path_for(serving)
    try:
        serving.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseRefused(
            f"cannot write in the warehouse folder {serving.parent}: {exc.strerror}"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").split()
            since = holder[1] if len(holder) > 1 else "an unknown time"
            pid = f" (pid {holder[0]})" if holder else ""
            raise WarehouseRefused(f"another run is using {serving} since {since}{pid}") from None
        started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
        except OSError as exc:
            raise WarehouseRefused(
                f"cannot write in the warehouse folder {serving.parent}: {exc.strerror}"
            ) from None
        # Safe now: no other aiw run publishes here while the lock is held.
        remove_stale_staging(serving)
        yield
    finally:
        # The lock file stays: unlinking it would let a run that opened it just
        # before lock a file no later run sees. Its stale content blocks nothing.
        os.close(fd)
