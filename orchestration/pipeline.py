"""`aiw run`: materialize every asset for a range of delivery days, in-process."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from orchestration.landing import PARTITIONED_SOURCES, LandingZone, LandingZoneError
from orchestration.partitions import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    partitions_floor,
)
from orchestration.settings import work_path_for


def run_log_path(serving_path: Path) -> Path:
    return work_path_for(serving_path).with_suffix(".log")


class UsageError(Exception):
    """Bad arguments or an unreadable landing zone: exit status 2, one line."""


@dataclass
class RunOutcome:
    success: bool
    first_day: dt.date
    last_day: dt.date
    extraction: dict[str, dict] = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    published: bool = False
    # Loaded partitions whose dt= folder is gone: withdrawn by this run, or
    # outside its --start/--end and left as they are.
    withdrawn: list[dt.date] = field(default_factory=list)
    vanished_outside: list[dt.date] = field(default_factory=list)
    # Wall seconds of each Dagster step, for `make bench` and slow-run triage.
    step_seconds: dict[str, float] = field(default_factory=dict)

    def step_seconds_line(self) -> str:
        """ "Step seconds (T in all): slowest first", as `aiw run` prints it."""
        slowest = sorted(self.step_seconds.items(), key=lambda item: -item[1])
        return f"Step seconds ({sum(self.step_seconds.values()):.1f} in all): " + ", ".join(
            f"{step} {seconds:.1f}" for step, seconds in slowest
        )

    @property
    def failed_blocking_checks(self) -> list[dict]:
        return [c for c in self.checks if not c["passed"] and c["blocking"]]


@dataclass(frozen=True)
class RunDays:
    """The delivery days a run covers, and loaded partitions whose folder is gone."""

    first: dt.date
    last: dt.date
    # Loaded earlier, folder gone, inside the run: the run withdraws their rows.
    withdrawn: tuple[dt.date, ...] = ()
    # Loaded earlier, folder gone, outside --start/--end: left as they are.
    vanished_outside: tuple[dt.date, ...] = ()


def resolve_days(
    landing: LandingZone,
    start: dt.date | None,
    end: dt.date | None,
    loaded: set[dt.date] | frozenset[dt.date] = frozenset(),
) -> RunDays:
    """The delivery-day range to run: the given bounds, else every dt= found.

    `loaded` are the partitions WORK holds rows of. One whose dt= folder no
    longer exists is withdrawn when the run covers its day: a run without
    --start/--end covers the landing zone as it now stands, so its range
    reaches every such partition; with bounds, only those inside are
    withdrawn and the others are reported.
    """
    try:
        landing.check_readable()
        found = sorted({d for s in PARTITIONED_SOURCES for d in landing.partitions(s)})
    except LandingZoneError as exc:
        raise UsageError(str(exc)) from None
    if start and end and end < start:
        raise UsageError(f"--end {end} is before --start {start}")
    in_range = [d for d in found if (not start or d >= start) and (not end or d <= end)]
    if not in_range and not (start and end):
        folders = ", ".join(f"{source}/" for source in PARTITIONED_SOURCES)
        raise UsageError(f"no dt=YYYY-MM-DD partitions ({folders}) found in {landing.url}")
    vanished = sorted(set(loaded) - set(found))
    # An open side of the range reaches the vanished partitions on that side too.
    reachable = sorted(
        {*in_range, *(d for d in vanished if (not start or d >= start) and (not end or d <= end))}
    )
    first = start or reachable[0]
    last = end or reachable[-1]
    floor, today = partitions_floor(), dt.datetime.now(dt.UTC).date()
    for day in (first, last):
        if not floor <= day <= today + dt.timedelta(days=1):
            raise UsageError(
                f"day {day} is outside the partitions {floor}..{today + dt.timedelta(days=1)} "
                "(set AIW_PARTITIONS_START to admit older data)"
            )
    return RunDays(
        first,
        last,
        withdrawn=tuple(d for d in vanished if first <= d <= last),
        vanished_outside=tuple(d for d in vanished if not first <= d <= last),
    )


def loaded_partitions_of(serving_path: Path) -> set[dt.date]:
    """The delivery partitions the WORK database beside `serving_path` holds."""
    import duckdb

    from orchestration.partitions import loaded_partitions

    work = work_path_for(serving_path)
    if not work.exists():
        return set()
    try:
        with duckdb.connect(str(work), read_only=True) as con:
            return loaded_partitions(con)
    except duckdb.Error:
        # Nothing to withdraw that we can know of. The run's first step opens
        # the same file and fails with the cause: one console line, the trace
        # in the run log, exit 1 (a run that failed, not a bad argument).
        return set()


def run_pipeline(
    landing_url: str,
    serving_path: Path,
    start: dt.date | None = None,
    end: dt.date | None = None,
    instance: dg.DagsterInstance | None = None,
    progress: bool = True,
) -> RunOutcome:
    if not landing_url:
        raise UsageError("--landing is empty")
    try:
        landing = LandingZone(landing_url)
    except LandingZoneError as exc:
        raise UsageError(str(exc)) from None
    days = resolve_days(landing, start, end, loaded_partitions_of(serving_path))
    first, last = days.first, days.last
    from orchestration.automation import JOB_NAME
    from orchestration.code_location import build_definitions, landing_partitions
    from orchestration.instance import persistent_instance

    # The code location `dagster dev` serves, with partitions reaching back to
    # this run's first day, and its daily job: the run, its materializations
    # and its checks are recorded in the persistent instance under that job.
    defs = build_definitions(
        landing_url, str(serving_path), landing_partitions(landing_url, earliest=first)
    )
    job = defs.resolve_job_def(JOB_NAME)
    log_path = run_log_path(serving_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    run_id = make_new_run_id()
    with contextlib.ExitStack() as stack, _instance_storage_errors(serving_path):
        if instance is None:
            instance = stack.enter_context(persistent_instance(serving_path))
        if progress:
            from orchestration.progress import RunProgress

            # On a terminal, one updating line on stderr; elsewhere plain lines
            # on stdout (stderr is kept for the one-line error). This is the
            # stdout of the caller: the run's own is redirected to the log below.
            tty = sys.stderr.isatty()
            stream = sys.stderr if tty else sys.stdout
            watcher = stack.enter_context(
                RunProgress(stream, len(job.nodes), dbt_node_count(), tty)
            )
            instance.add_event_listener(run_id, watcher)
        # dbt's own log goes to a file beside the WORK database; the CLI prints a summary.
        log = stack.enter_context(open(log_path, "w"))
        stack.enter_context(contextlib.redirect_stdout(log))
        result = job.execute_in_process(
            tags={
                ASSET_PARTITION_RANGE_START_TAG: first.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: last.isoformat(),
            },
            raise_on_error=False,
            instance=instance,
            run_id=run_id,
            # The CLI prints a summary (one line per failed step); the full
            # error of a failed step goes to the run log below, not the console.
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                print(
                    f"\nStep {event.step_key} failed:\n{event.step_failure_data.error.to_string()}"
                )
    return _outcome(result, days)


@contextlib.contextmanager
def _instance_storage_errors(serving_path: Path):
    """The instance's SQLite storage failing (a full disk, a read-only folder)
    becomes an OSError naming the cause, which `aiw run` reports in one line."""
    import sqlite3

    import sqlalchemy.exc

    try:
        yield
    except (sqlite3.OperationalError, sqlalchemy.exc.OperationalError) as exc:
        from orchestration.instance import dagster_home_for

        home = dagster_home_for(serving_path)
        try:
            full = os.statvfs(home).f_bavail == 0
        except OSError:
            full = False
        cause = "No space left on device" if full else f"cannot write: {exc}".splitlines()[0]
        raise OSError(errno.ENOSPC if full else errno.EIO, cause, str(home)) from None


def make_new_run_id() -> str:
    """A run id as Dagster makes them (a UUID4), known before the run starts so
    the progress listener can subscribe to it."""
    return str(uuid.uuid4())


def dbt_node_count() -> int:
    """dbt models and tests a run builds (what the dbt step reports one by one)."""
    from orchestration.assets.dbt_models import warehouse_models

    models = warehouse_models()
    return len(models.keys) + len(list(models.check_specs))


def _outcome(result: dg.ExecuteInProcessResult, days: RunDays) -> RunOutcome:
    outcome = RunOutcome(
        success=result.success,
        first_day=days.first,
        last_day=days.last,
        withdrawn=list(days.withdrawn),
        vanished_outside=list(days.vanished_outside),
    )
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key
        if key.path[0] == "raw":
            outcome.extraction[key.path[-1]] = {
                k: v.value for k, v in materialization.metadata.items()
            }
        if key.path == ["publish", "serving_warehouse"]:
            outcome.published = True
    for evaluation in result.get_asset_check_evaluations():
        metadata = {k: v.value for k, v in evaluation.metadata.items()}
        outcome.checks.append(
            {
                "name": evaluation.check_name,
                "asset": evaluation.asset_key.to_user_string(),
                "passed": evaluation.passed,
                "severity": evaluation.severity.value,
                "blocking": bool(evaluation.blocking)
                and evaluation.severity == dg.AssetCheckSeverity.ERROR,
                "metadata": metadata,
            }
        )
    for event in result.all_events:
        if event.event_type_value == "STEP_SUCCESS":
            outcome.step_seconds[event.step_key] = event.event_specific_data.duration_ms / 1000
        if event.event_type_value == "STEP_FAILURE":
            outcome.failures.append(
                f"{event.step_key}: {_root_cause(event.step_failure_data.error)}"
            )
    return outcome


def _root_cause(error) -> str:
    """The innermost error's first line: Dagster wraps the exception that matters."""
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "failed"
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name or "failed"
