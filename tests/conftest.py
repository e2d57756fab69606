"""Shared test set-up: the dbt manifest is prepared once, before any test imports
the Dagster code location (which reads it), and the conformance case is
published once for the tests that start from its serving file."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT
from tests.generated_org import generated_landing

CONFORMANCE = REPO_ROOT / "tests" / "fixtures" / "conformance"


# The Dagster instance of a test's `aiw run`s: Dagster's in-memory event log
# (a run's events live as long as its instance, with no SQLite file written
# per event) beside SQLite run storage. What a test asserts is in the DuckDB
# files and the run's outcome; tests/integration/test_dagster_instance.py
# checks the SQLite instance `aiw run` records in by default.
TEST_DAGSTER_YAML = """\
event_log_storage:
  module: dagster._core.storage.event_log
  class: InMemoryEventLogStorage
telemetry:
  enabled: false
"""


def in_memory_dagster_home(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dagster.yaml").write_text(TEST_DAGSTER_YAML)
    return folder


def made_once(tmp_path_factory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder `name`, filled by `make(folder)` once per test session and
    shared by the xdist workers (one makes it, the others wait for it). `make`
    runs in a Dagster home of its own, as every test does."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own
    folder, done = root / name, root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv(
                    "DAGSTER_HOME", str(in_memory_dagster_home(root / f"{name}.dagster_home"))
                )
                make(folder)
            done.touch()
    return folder


def published(landing: Path, warehouse: Path) -> None:
    """`aiw run` of `landing` into `warehouse`, which must succeed."""
    from orchestration.cli import main

    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0


# The pseudonym key of the shared conformance run: a test that compares its
# own runs with a copy of it sets the same one.
CONFORMANCE_RUN_KEY = "conformance-run-key"


@pytest.fixture(scope="session")
def conformance_published(tmp_path_factory) -> Path:
    """A folder holding a copy of the conformance landing zone (`landing/`) and
    what one successful `aiw run` over it left beside `warehouse.duckdb` (the
    serving file, WORK, the run history). A test takes `copy_of_published(...)`
    before it changes anything."""

    def make(folder: Path) -> None:
        shutil.copytree(CONFORMANCE / "landing", folder / "landing")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AIW_PSEUDONYM_KEY", CONFORMANCE_RUN_KEY)
            published(folder / "landing", folder / "warehouse.duckdb")

    return made_once(tmp_path_factory, "conformance_published", make)


@pytest.fixture(scope="session")
def organisation_published(tmp_path_factory) -> Path:
    """A generated organisation (90 people, 30 days) in `landing/`, published by
    `aiw run` into `warehouse.duckdb` with its dashboard beside it, and what the
    run printed in `run.out`. The dashboard and serving-file tests only read it."""

    def make(folder: Path) -> None:
        generated_landing(
            folder / "landing", employees=90, days=30, seed=11, requests_per_dev_day=6.0,
            bad_rate=0.02,
        )  # fmt: skip
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            published(folder / "landing", folder / "warehouse.duckdb")
        (folder / "run.out").write_text(printed.getvalue())

    return made_once(tmp_path_factory, "organisation_published", make)


def copy_of_published(published: Path, folder: Path) -> tuple[Path, Path]:
    """Copy the `conformance_published` folder into `folder` (new or empty);
    returns its landing zone and serving file, as a run there left them."""
    shutil.copytree(published, folder, dirs_exist_ok=True)
    return folder / "landing", folder / "warehouse.duckdb"


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


@pytest.fixture(scope="session")
def _tests_dagster_home(tmp_path_factory) -> Path:
    # one per xdist worker, outside every test's tmp_path (tests list theirs)
    return in_memory_dagster_home(tmp_path_factory.mktemp("dagster-home"))


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path, _tests_dagster_home):
    """Nothing a test does may touch data/ in the working directory."""
    monkeypatch.setenv("AIW_LANDING", str(tmp_path / "no-landing"))
    monkeypatch.setenv("AIW_WAREHOUSE", str(tmp_path / "no-warehouse.duckdb"))
    monkeypatch.setenv("AIW_WORK_DB", str(tmp_path / "no-work.duckdb"))
    # `aiw run` records in the tests' home, never in an instance of the machine.
    monkeypatch.setenv("DAGSTER_HOME", str(_tests_dagster_home))
