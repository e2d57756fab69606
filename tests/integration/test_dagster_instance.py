"""The scheduled path against a real Dagster instance: the sensor's runs as the
daemon launches them, a multiprocess-executor run, and `aiw run` recording its
runs where `dagster dev` finds them."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.settings import REPO_ROOT
from tests.conftest import CONFORMANCE

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dagster_instance")]

SOURCE = CONFORMANCE / "landing"
LOCATION = "ai_impact_warehouse"


def small_landing(root: Path, days: list[str]) -> Path:
    """Reference, rosters and the given delivery days of the conformance case."""
    landing = root / "landing"
    for folder in ("reference", "roster"):
        shutil.copytree(SOURCE / folder, landing / folder, dirs_exist_ok=True)
    land(landing, days)
    return landing


def land(landing: Path, days: list[str]) -> None:
    for source in ("usage", "deploys"):
        for day in days:
            folder = SOURCE / source / f"dt={day}"
            if folder.exists():
                shutil.copytree(folder, landing / source / f"dt={day}")


def usage_days(serving: Path) -> set[dt.date]:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        rows = con.execute("SELECT DISTINCT usage_date FROM marts.fct_token_usage_daily")
        return {r[0] for r in rows.fetchall()}
    finally:
        con.close()


def lock_errors(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [
        e.message
        for e in instance.all_logs(run_id)
        if "could not set lock" in (e.message or "").lower()
        or "conflicting lock" in (e.message or "").lower()
    ]


def step_processes(instance: dg.DagsterInstance, run_id: str) -> set[int]:
    return {
        e.dagster_event.pid
        for e in instance.all_logs(run_id)
        if e.dagster_event and e.step_key and e.dagster_event.pid
    }


# -- the sensor, as the daemon runs it ------------------------------------------------


class Daemon:
    """One sensor tick and one run-queue pass at a time, as dagster-daemon does
    them, against a code location served by its own gRPC process."""

    def __init__(self, instance: dg.DagsterInstance, workspace) -> None:
        self.instance = instance
        self.workspace = workspace
        self.clock = dt.datetime.now(dt.UTC)

    def tick_sensor(self) -> list[dg.DagsterRun]:
        from dagster._core.test_utils import freeze_time
        from dagster._daemon.sensor import execute_sensor_iteration

        before = {r.run_id for r in self.instance.get_runs()}
        # The sensor's minimum interval is 5 minutes: each tick is 6 minutes later.
        self.clock += dt.timedelta(minutes=6)
        with freeze_time(self.clock):
            list(
                execute_sensor_iteration(
                    self.workspace,
                    logging.getLogger("test-sensor-daemon"),
                    threadpool_executor=None,
                    submit_threadpool_executor=None,
                )
            )
        return [r for r in self.instance.get_runs() if r.run_id not in before]

    def launch_queued(self, runs: list[dg.DagsterRun], timeout: float = 600) -> None:
        """Dequeue through the run coordinator daemon (which launches through the
        instance's run launcher, a process per run) until every run finished."""
        from dagster._core.storage.dagster_run import DagsterRunStatus
        from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
            QueuedRunCoordinatorDaemon,
        )

        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        deadline = dt.datetime.now() + dt.timedelta(seconds=timeout)
        ids = {r.run_id for r in runs}
        while dt.datetime.now() < deadline:
            list(daemon.run_iteration(self.workspace))
            current = [self.instance.get_run_by_id(i) for i in ids]
            if all(r.is_finished for r in current):
                for run in current:
                    assert run.status == DagsterRunStatus.SUCCESS, self.failure(run.run_id)
                    assert lock_errors(self.instance, run.run_id) == []
                    # the default executor: every step in the run's one process
                    assert len(step_processes(self.instance, run.run_id)) == 1
                return
            import time

            time.sleep(1)
        raise AssertionError(f"runs not finished after {timeout} s")

    def failure(self, run_id: str) -> str:
        return "\n".join(
            e.message for e in self.instance.all_logs(run_id) if e.level >= logging.WARNING
        )[-3000:]


@pytest.fixture
def daemon(tmp_path, monkeypatch):
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.workspace.load_target import ModuleTarget

    landing = small_landing(tmp_path, ["2026-04-06", "2026-04-07", "2026-04-08"])
    serving = tmp_path / "bi" / "warehouse.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The code server and every run process read these, as under `dagster dev`.
    monkeypatch.setenv("AIW_LANDING", str(landing))
    monkeypatch.setenv("AIW_WAREHOUSE", str(serving))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        target = ModuleTarget(
            module_name="orchestration.definitions",
            attribute=None,
            working_directory=str(REPO_ROOT),
            location_name=LOCATION,
        )
        with create_test_daemon_workspace_context(target, instance) as workspace:
            yield Daemon(instance, workspace), landing, serving


def test_sensor_runs_land_in_the_serving_file_and_redelivery_runs_once(daemon):
    daemon, landing, serving = daemon

    # An empty instance: the sensor (on by default) requests the delivered days
    # as one run over their range.
    runs = daemon.tick_sensor()
    assert len(runs) == 1
    assert runs[0].job_name == "daily_warehouse"
    assert runs[0].tags["dagster/asset_partition_range_start"] == "2026-04-06"
    assert runs[0].tags["dagster/asset_partition_range_end"] == "2026-04-08"
    daemon.launch_queued(runs)
    assert {dt.date(2026, 4, d) for d in (6, 7, 8)} <= usage_days(serving)

    # New folders land: one run for the new days only.
    land(landing, ["2026-04-09", "2026-04-10"])
    runs = daemon.tick_sensor()
    assert [
        (
            r.tags.get("dagster/asset_partition_range_start"),
            r.tags.get("dagster/asset_partition_range_end"),
        )
        for r in runs
    ] == [("2026-04-09", "2026-04-10")]
    daemon.launch_queued(runs)
    assert {dt.date(2026, 4, d) for d in (9, 10)} <= usage_days(serving)

    # A re-delivered file: exactly one new run, for its day; then nothing.
    folder = landing / "usage" / "dt=2026-04-07"
    shutil.copy(folder / "gw-0.jsonl.gz", folder / "gw-0-redelivered.jsonl.gz")
    runs = daemon.tick_sensor()
    assert [r.tags.get("dagster/partition") for r in runs] == ["2026-04-07"]
    daemon.launch_queued(runs)
    assert daemon.tick_sensor() == []

    # Partitions in the instance: the raw assets filled for the delivered days.
    materialized = daemon.instance.get_materialized_partitions(
        dg.AssetKey(["raw", "usage_requests"])
    )
    assert materialized == {f"2026-04-{d:02d}" for d in range(6, 11)}


# -- the multiprocess executor ------------------------------------------------------------


def test_multiprocess_run_of_the_daily_job_has_no_lock_errors(tmp_path, monkeypatch):
    landing = small_landing(tmp_path, ["2026-04-07", "2026-04-08"])
    serving = tmp_path / "bi" / "warehouse.duckdb"
    monkeypatch.setenv("AIW_LANDING", str(landing))
    monkeypatch.setenv("AIW_WAREHOUSE", str(serving))
    (tmp_path / "home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "home")) as instance:
        result = dg.execute_job(
            dg.reconstructable(daily_job),
            instance=instance,
            # Step processes forked from one that imported the code location and
            # Great Expectations once (spawning each would import them 24 times).
            run_config={
                "execution": {
                    "config": {
                        "max_concurrent": 3,
                        "start_method": {
                            "forkserver": {
                                "preload_modules": [
                                    __name__,
                                    "orchestration.code_location",
                                    "great_expectations",
                                ]
                            }
                        },
                    }
                }
            },
            tags={
                "dagster/asset_partition_range_start": "2026-04-07",
                "dagster/asset_partition_range_end": "2026-04-08",
            },
        )
        run_id = result.run_id
        processes = step_processes(instance, run_id)
        assert result.success, "\n".join(e.message for e in instance.all_logs(run_id))[-3000:]
        assert lock_errors(instance, run_id) == []
    # Steps ran in processes of their own (and took turns on the warehouse).
    assert len(processes) > 10
    assert {dt.date(2026, 4, 7), dt.date(2026, 4, 8)} <= usage_days(serving)


def daily_job():
    """The code location's daily job with the multiprocess executor (a process
    per step), rebuilt in every step process."""
    from orchestration.code_location import build_definitions
    from orchestration.settings import landing_url, serving_path

    defs = build_definitions(landing_url(), str(serving_path()), executor=dg.multiprocess_executor)
    return defs.resolve_job_def("daily_warehouse")


# -- aiw run records in the persistent instance -----------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    from orchestration.cli import main

    root = tmp_path_factory.mktemp("recorded")
    landing = small_landing(root, ["2026-04-06", "2026-04-07", "2026-04-08", "2026-04-09"])
    serving = root / "data" / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("DAGSTER_HOME", raising=False)
        assert main(["run", "--landing", str(landing), "--warehouse", str(serving)]) == 0
    return landing, serving, root / "data" / "dagster_home"


def test_aiw_run_records_materializations_and_checks_in_the_persistent_instance(recorded):
    from dagster._core.instance.ref import InstanceRef

    _, _, home = recorded
    assert (home / "dagster.yaml").exists()
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        runs = instance.get_runs()
        assert [(r.job_name, r.status.value) for r in runs] == [("daily_warehouse", "SUCCESS")]
        weekly = dg.AssetKey(["marts", "team_weekly_metrics"])
        event = instance.get_latest_materialization_event(weekly)
        assert event is not None and event.run_id == runs[0].run_id
        checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(weekly, "teams_with_deployments_have_developers")]
        )
        execution = checks[dg.AssetCheckKey(weekly, "teams_with_deployments_have_developers")]
        assert execution.status.value == "SUCCEEDED"
        assert execution.run_id == runs[0].run_id
        assert instance.get_materialized_partitions(dg.AssetKey(["raw", "usage_requests"])) == {
            "2026-04-06",
            "2026-04-07",
            "2026-04-08",
            "2026-04-09",
        }
