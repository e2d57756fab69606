"""Run dbt in-process against the project, with every artefact under a temp dir."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from orchestration.dbt_manifest import profile_work_db

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
CONFORMANCE_DIR = REPO_ROOT / "tests" / "fixtures" / "conformance"


def pseudonym_key(key: str):
    """A module-wide autouse fixture `one_pseudonym_key` that sets AIW_PSEUDONYM_KEY.

    Each WORK database generates its own pseudonym key; the databases a module
    compares must share one to pseudonymise alike.
    """

    @pytest.fixture(scope="module", autouse=True, name="one_pseudonym_key")
    def one_pseudonym_key():
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AIW_PSEUDONYM_KEY", key)
            yield

    return one_pseudonym_key


# dbt's unit tests check the rules on fixtures, whatever the data: they run once
# (test_unit_tests.py), not in every build of a test's data, as scheduled runs
# skip them too (orchestration/assets/dbt_models.py).
BUILD_DATA = ["build", "--exclude", "test_type:unit"]


def extract_landing(landing: Path, work_db: Path) -> None:
    """Extract every source of the landing zone at `landing` into `work_db`."""
    from orchestration.extract import extract_all

    con = duckdb.connect(str(work_db))
    try:
        extract_all(con, str(landing))
    finally:
        con.close()


def run_dbt_ok(args: Sequence[str], work_dir: Path, work_db: Path) -> dbtRunnerResult:
    """`run_dbt` that fails the test, with dbt's failures, unless dbt succeeded."""
    result = run_dbt(args, work_dir, work_db)
    assert result.success, "\n".join(failures(result))
    return result


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
    with profile_work_db(work_db):
        try:
            return _invoke(args, work_dir)
        finally:
            release_duckdb()


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
