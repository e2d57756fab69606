"""Run dbt in-process against the project, with every artefact under a temp dir."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from dbt.cli.main import dbtRunner, dbtRunnerResult

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
CONFORMANCE_DIR = REPO_ROOT / "tests" / "fixtures" / "conformance"


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open for the whole process.

    dbt-duckdb caches one database instance per process; until it is closed
    the file cannot be opened read-only (or copied: data may sit in the WAL).
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a project dependency
        return
    env = DuckDBConnectionManager._ENV
    if env is not None:
        try:
            env.close()
        finally:
            DuckDBConnectionManager.close_all_connections()


def run_dbt(args: Sequence[str], work_dir: Path, work_db: Path) -> dbtRunnerResult:
    """Invoke dbt with the project's profile pointed at `work_db`.

    Target and log paths go under `work_dir` so tests never write into
    dbt_project/ and can run in parallel; the database is closed afterwards.
    """
    previous = os.environ.get("AIW_WORK_DB")
    os.environ["AIW_WORK_DB"] = str(work_db)
    try:
        return _invoke(args, work_dir)
    finally:
        release_duckdb()
        if previous is None:
            os.environ.pop("AIW_WORK_DB", None)
        else:
            os.environ["AIW_WORK_DB"] = previous


def _invoke(args: Sequence[str], work_dir: Path) -> dbtRunnerResult:
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ]
    )


def failures(result: dbtRunnerResult) -> list[str]:
    """Human-readable failures of a dbt invocation."""
    messages: list[str] = []
    if result.exception is not None:
        messages.append(repr(result.exception))
    for node_result in getattr(result.result, "results", None) or []:
        status = str(getattr(node_result, "status", ""))
        if status.lower() not in ("pass", "success", "no-op", "skipped"):
            messages.append(f"{node_result.node.unique_id}: {status}: {node_result.message}")
    return messages
