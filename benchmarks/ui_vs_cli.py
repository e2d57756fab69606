"""One delivery day through Dagster's run launcher vs through `aiw run`.

Generates a small organisation, loads all but its last day with `aiw run`,
then runs the last day twice each way, alternating: `aiw run --start D --end D`
as a child process (wall time), and a run of the `daily_warehouse` job for
partition D submitted to a persistent instance and launched by the run queue
daemon through the instance's run launcher, as a click in the UI or the
sensor would (wall time from submission to the run's end, and the run's own
start-to-end time). Prints the figures.

    uv run python benchmarks/ui_vs_cli.py [--employees 60] [--days 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def aiw_run(landing: Path, serving: Path, day: dt.date | None = None) -> float:
    args = [str(Path(sys.executable).with_name("aiw")), "run", "--landing", str(landing)]
    args += ["--warehouse", str(serving)]
    if day:
        args += ["--start", day.isoformat(), "--end", day.isoformat()]
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=REPO_ROOT)
    return time.perf_counter() - started


def launched_run(instance, workspace, day: dt.date) -> tuple[float, float]:
    from dagster._core.definitions.selector import JobSubsetSelector
    from dagster._core.storage.dagster_run import DagsterRunStatus
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
        QueuedRunCoordinatorDaemon,
    )

    context = workspace.create_request_context()
    location = context.get_code_location("ai_impact_warehouse")
    repo = location.get_repository("__repository__")

    selector = JobSubsetSelector(
        location_name="ai_impact_warehouse",
        repository_name="__repository__",
        job_name="daily_warehouse",
        op_selection=None,
    )
    remote_job = location.get_job(selector)
    plan = location.get_execution_plan(
        remote_job, run_config={}, step_keys_to_execute=None, known_state=None
    )
    started = time.perf_counter()
    run = instance.create_run(
        job_name="daily_warehouse",
        run_id=None,
        run_config={},
        resolved_op_selection=None,
        step_keys_to_execute=None,
        status=DagsterRunStatus.NOT_STARTED,
        op_selection=None,
        root_run_id=None,
        parent_run_id=None,
        tags={
            **remote_job.run_tags,
            "dagster/partition": day.isoformat(),
        },
        job_snapshot=remote_job.job_snapshot,
        execution_plan_snapshot=plan.execution_plan_snapshot,
        parent_job_snapshot=remote_job.parent_job_snapshot,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
        asset_selection=None,
        asset_check_selection=None,
        asset_graph=repo.asset_graph,
    )
    instance.submit_run(run.run_id, context)
    daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
    while True:
        list(daemon.run_iteration(workspace))
        current = instance.get_run_by_id(run.run_id)
        if current.is_finished:
            break
        time.sleep(0.5)
    wall = time.perf_counter() - started
    if current.status != DagsterRunStatus.SUCCESS:
        raise RuntimeError(f"run {run.run_id} ended {current.status}")
    stats = instance.get_run_stats(run.run_id)
    return wall, stats.end_time - stats.start_time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=60)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from sample_data import generate_landing

    root = Path(tempfile.mkdtemp(prefix="aiw-ui-vs-cli-"))
    landing = root / "landing"
    start = dt.date(2026, 3, 2)
    generate_landing(
        out=str(landing),
        employees=args.employees,
        start=start,
        days=args.days,
        seed=7,
        requests_per_dev_day=20.0,
        bad_rate=0.0,
        progress=False,
    )
    days = sorted(dt.date.fromisoformat(p.name[3:]) for p in (landing / "usage").glob("dt=*"))
    last = days[-1]
    cli_serving = root / "cli" / "warehouse.duckdb"
    ui_serving = root / "ui" / "warehouse.duckdb"
    print(f"organisation: {args.employees} employees, {len(days)} delivery days, day {last}")
    for serving in (cli_serving, ui_serving):
        aiw_run(landing, serving, None)  # backfill; the UI side's instance gets the history

    os.environ.update(
        AIW_LANDING=str(landing),
        AIW_WAREHOUSE=str(ui_serving),
        DAGSTER_HOME=str(ui_serving.parent / "dagster_home"),
    )
    import dagster as dg
    from dagster._core.test_utils import create_test_daemon_workspace_context
    from dagster._core.workspace.load_target import ModuleTarget

    logging.getLogger("dagster").setLevel(logging.WARNING)
    cli, ui = [], []
    with dg.DagsterInstance.get() as instance:
        target = ModuleTarget(
            module_name="orchestration.definitions",
            attribute=None,
            working_directory=str(REPO_ROOT),
            location_name="ai_impact_warehouse",
        )
        with create_test_daemon_workspace_context(target, instance) as workspace:
            for _ in range(args.repeat):
                cli.append(aiw_run(landing, cli_serving, last))
                ui.append(launched_run(instance, workspace, last))
    print(f"aiw run --start {last} --end {last}: " + ", ".join(f"{s:.1f} s" for s in cli))
    print(
        "launched run of partition "
        f"{last} (submit to end / run start to end): "
        + ", ".join(f"{w:.1f} s / {r:.1f} s" for w, r in ui)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
