"""Shared test set-up: the dbt manifest is prepared once, before any test imports
the Dagster code location (which reads it)."""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

CONFORMANCE = REPO_ROOT / "tests" / "fixtures" / "conformance"


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> Path:
    from orchestration.dbt_manifest import ensure_manifest

    # pytest-xdist workers share the project folder: one parses, the others wait.
    lock_path = DBT_PROJECT_DIR / "target" / ".parse.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_manifest()
    return DBT_PROJECT_DIR / "target" / "manifest.json"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """Nothing a test does may touch data/ in the working directory."""
    monkeypatch.setenv("AIW_LANDING", str(tmp_path / "no-landing"))
    monkeypatch.setenv("AIW_WAREHOUSE", str(tmp_path / "no-warehouse.duckdb"))
    monkeypatch.setenv("AIW_WORK_DB", str(tmp_path / "no-work.duckdb"))
    # `aiw run` records in dagster_home/ beside each test's warehouse, never in
    # an instance of the machine.
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
