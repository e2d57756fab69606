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
from collections.abc import Iterator
from pathlib import Path

from orchestration.publish import PUBLICATION_TABLE, PUBLISHED_SCHEMAS, remove_stale_staging
from orchestration.warehouse_lock import WarehouseBusy, lock_path_for, warehouse_lock

__all__ = ["WarehouseRefused", "check_replaceable", "claim_warehouse", "lock_path_for"]

# Bytes 8..11 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"


class WarehouseRefused(Exception):
    """The warehouse path cannot be used by this run: exit status 2, one line."""


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
    """Hold the warehouse for one run, after checking it may be replaced. The
    lock is the one Dagster-launched runs wait for (orchestration/warehouse_lock.py),
    so `aiw run` and the UI's runs never write one warehouse at once."""
    serving = Path(serving)
    check_replaceable(serving)
    try:
        serving.parent.mkdir(parents=True, exist_ok=True)
        with warehouse_lock(serving, wait=False, reentrant=False, what="aiw run"):
            # Safe now: no other run publishes here while the lock is held.
            remove_stale_staging(serving)
            yield
    except WarehouseBusy as busy:
        raise WarehouseRefused(
            f"another run is using {serving} since {busy.since} (pid {busy.pid})"
        ) from None
    except PermissionError as exc:
        raise WarehouseRefused(
            f"cannot write in the warehouse folder {serving.parent}: {exc.strerror}"
        ) from None
