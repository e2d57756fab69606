"""Is the dbt manifest current, and build it when not.

Kept apart from orchestration.dbt, which imports Dagster and dagster-dbt
(seconds): `make` checks the manifest before every target.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_WAREHOUSE, work_path_for

# The profile's WORK database (dbt_project/profiles.yml).
WORK_DB_ENV = "AIW_WORK_DB"


@contextlib.contextmanager
def profile_work_db(value: str | os.PathLike) -> Iterator[None]:
    """The profile's WORK database for dbt invoked in this process, restored after."""
    previous = os.environ.get(WORK_DB_ENV)
    os.environ[WORK_DB_ENV] = os.fspath(value)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WORK_DB_ENV, None)
        else:
            os.environ[WORK_DB_ENV] = previous


MANIFEST_INPUTS = ("models", "macros", "seeds", "snapshots", "tests", "dbt_project.yml")


def manifest_is_stale(project_dir: Path = DBT_PROJECT_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in MANIFEST_INPUTS:
        path = project_dir / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def ensure_manifest(project_dir: Path = DBT_PROJECT_DIR) -> None:
    """Parse the dbt project when its manifest is missing or older than its
    sources. It is parsed for the WORK file name a run gives the profile for
    the default warehouse (orchestration.dbt.warehouse_dbt_cli), so that a
    run's dbt, handed this parse for a new WORK database, can keep it."""
    if not manifest_is_stale(project_dir):
        return
    from dbt.cli.main import dbtRunner

    with profile_work_db(work_path_for(Path(DEFAULT_WAREHOUSE)).name):
        result = dbtRunner().invoke(
            ["parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
             "--quiet"]
        )  # fmt: skip
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
