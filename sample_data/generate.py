"""`generate_landing`: a whole landing zone for a simulated organisation."""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from sample_data import organisation as cfg
from sample_data.deploys import DeploySimulator
from sample_data.gaming import truth as gaming_truth
from sample_data.plan import TrapPlan, plan_traps
from sample_data.population import Population, build_population
from sample_data.provider_costs import write_cost_report
from sample_data.reference import price_book_rows, write_reference
from sample_data.roster import write_snapshot
from sample_data.storage import TRUTH_FILE, Landing
from sample_data.tool_plan import (
    DEFAULT_SOURCES,
    IDENTITY_SOURCES,
    TOOL_NAMES,
    choose_unmatched,
    identity_rows,
    identity_value,
    parse_sources,
    plan_sources,
    write_identities,
)
from sample_data.usage_day import UsageDayReport, UsageRun, generate_usage_day, set_up
from sample_data.usage_records import expected_request_count
from sample_data.workdays import Period

TRUTH_VERSION = 1
# Below this many expected records, starting worker processes costs more than it saves.
PARALLEL_MIN_RECORDS = 400_000
MAX_WORKERS = 4


def _validate(employees, start, days, seed, requests_per_dev_day, bad_rate) -> None:
    def is_int(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not is_int(employees) or not 1 <= employees <= cfg.MAX_EMPLOYEES:
        raise ValueError(
            f"employees must be an integer from 1 to {cfg.MAX_EMPLOYEES}, got {employees!r}"
        )
    if not is_int(days) or not 1 <= days <= cfg.MAX_DAYS:
        raise ValueError(f"days must be an integer from 1 to {cfg.MAX_DAYS}, got {days!r}")
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise ValueError(f"start must be a date, got {start!r}")
    if not is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    rpd = requests_per_dev_day
    if (
        not isinstance(rpd, int | float)
        or isinstance(rpd, bool)
        or not math.isfinite(rpd)
        or not 0 < rpd <= cfg.MAX_REQUESTS_PER_DEV_DAY
    ):
        raise ValueError(
            f"requests_per_dev_day must be a number above 0 and at most {cfg.MAX_REQUESTS_PER_DEV_DAY:g}, got {rpd!r}"
        )
    if (
        not isinstance(bad_rate, int | float)
        or isinstance(bad_rate, bool)
        or not 0 <= bad_rate <= cfg.MAX_BAD_RATE
    ):
        raise ValueError(
            f"bad_rate must be a number from 0 to {cfg.MAX_BAD_RATE}, got {bad_rate!r}"
        )


def generate_landing(
    out: str = "data/landing",
    employees: int = cfg.DEFAULT_EMPLOYEES,
    start: dt.date = cfg.DEFAULT_START,
    days: int = cfg.DEFAULT_DAYS,
    seed: int = cfg.DEFAULT_SEED,
    requests_per_dev_day: float = cfg.DEFAULT_REQUESTS_PER_DEV_DAY,
    bad_rate: float = cfg.DEFAULT_BAD_RATE,
    progress: bool = True,
    workers: int | None = None,
    sources="gateway",
    unmatched_identities: int = 0,
) -> dict:
    """Write a landing zone (see landing_contract.md) and `_truth.json`; return the truth.

    `out` is a folder or any fsspec URL. It must be empty or new, or hold an
    earlier output of this function, which is then replaced. `workers` caps the
    number of processes drawing usage (default: decided from the size of the run
    and the cores present); the files are the same whatever it is.

    `sources` ("gateway,otel,litellm,copilot" or a sequence) picks the tools that
    deliver the usage (sources.py); `unmatched_identities` leaves that many of the
    identities the data uses out of `reference/identities.csv`.
    """
    if not isinstance(out, str | os.PathLike) or not str(out):
        raise ValueError(f"out must be a folder or URL, got {out!r}")
    _validate(employees, start, days, seed, requests_per_dev_day, bad_rate)
    sources = parse_sources(sources)
    if (
        not isinstance(unmatched_identities, int)
        or isinstance(unmatched_identities, bool)
        or unmatched_identities < 0
    ):
        raise ValueError(
            f"unmatched_identities must be a non-negative integer, got {unmatched_identities!r}"
        )
    if unmatched_identities and sources == DEFAULT_SOURCES:
        raise ValueError(
            "unmatched_identities needs a source with its own identities (otel, litellm, copilot)"
        )
    requests_per_dev_day, bad_rate = float(requests_per_dev_day), float(bad_rate)
    period = Period(start, days)
    population = build_population(seed, period, employees)
    # the default run stays exactly what it was before other sources existed
    source_plan = plan_sources(seed, population, sources) if sources != DEFAULT_SOURCES else None
    if source_plan is not None:
        available = len(_unmatched_candidates(source_plan, identity_rows(source_plan, population)))
        if unmatched_identities > available:
            raise ValueError(
                f"unmatched_identities is {unmatched_identities}, but this organisation hands "
                f"out only {available} identities that can be left out; ask for fewer"
            )
    landing = Landing(str(out))
    landing.prepare()
    # marks the location as ours at once, so an interrupted run can be overwritten
    landing.write(TRUTH_FILE, b'{"complete": false}\n')

    plan = plan_traps(seed, period, population, bad_rate)
    reference = write_reference(landing, period)
    run = UsageRun(seed, period, requests_per_dev_day, landing, source_plan)
    n_workers = _worker_count(workers, landing, population, requests_per_dev_day)
    deploys = DeploySimulator(seed, population, plan.deploys, landing)
    usage = _UsageTotals()
    snapshots = []
    with (
        _usage_days(run, population, plan, n_workers) as reports,
        tqdm(total=days, desc="generating landing zone", unit="day", disable=not progress) as bar,
    ):
        for day in range(days):
            if day in period.regular_snapshot_days and day not in plan.roster_missing_days:
                snapshots.append(write_snapshot(landing, population, day))
            deploys.step(day)
            usage.add(next(reports))
            bar.update(1)

    args = {
        "employees": employees,
        "start": start.isoformat(),
        "days": days,
        "seed": seed,
        "requests_per_dev_day": requests_per_dev_day,
        "bad_rate": bad_rate,
    }
    truth = _truth(args, period, population, plan, reference, usage, deploys, snapshots)
    if source_plan is not None:
        truth["args"]["sources"] = list(sources)
        truth["args"]["unmatched_identities"] = unmatched_identities
        _add_sources_truth(truth, landing, source_plan, population, usage, unmatched_identities)
    truth["provider_costs"] = write_cost_report(
        landing, seed, period, price_book_rows(period), usage.invoice_tokens, bad_rate > 0
    )
    landing.write(TRUTH_FILE, (json.dumps(truth, indent=2) + "\n").encode())
    return truth


def _worker_count(requested, landing: Landing, population: Population, rpd: float) -> int:
    if landing.is_in_process_memory:
        return 1
    if requested is not None:
        return max(1, int(requested))
    if expected_request_count(population, rpd) < PARALLEL_MIN_RECORDS:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, population.period.days))


@contextmanager
def _usage_days(run: UsageRun, population: Population, plan: TrapPlan, n_workers: int) -> Iterator:
    """Usage reports in day order, drawn here or by a pool of processes."""
    if n_workers <= 1:
        set_up(run, population)
        yield map(generate_usage_day, plan.usage_days)
        return
    # each process is single-threaded: the pool is the parallelism, and Polars
    # threads on top only fight over the same cores
    previous = os.environ.get("POLARS_MAX_THREADS")
    os.environ["POLARS_MAX_THREADS"] = "1"
    try:
        context = multiprocessing.get_context("spawn")  # fork is unsafe with Polars' threads
        pool = context.Pool(n_workers, initializer=set_up, initargs=(run, population))
        try:
            yield pool.imap(generate_usage_day, plan.usage_days, chunksize=1)
            # Let the workers leave on their own. Pool.terminate() (what `with
            # Pool()` does) kills them and can then wait for ever on the task
            # queue's lock held by a worker it killed mid-read (a test run hung so).
            pool.close()
            pool.join()
        except BaseException:
            pool.terminate()  # only when generation failed or was abandoned
            raise
    finally:
        if previous is None:
            os.environ.pop("POLARS_MAX_THREADS", None)
        else:
            os.environ["POLARS_MAX_THREADS"] = previous


class _UsageTotals:
    COUNTS = (
        "files",
        "lines_written",
        "valid_lines",
        "distinct_request_ids",
        "late_lines",
        "late_files",
        "duplicate_identical_lines",
        "duplicate_conflicting_lines",
        "unknown_email_lines",
        "unknown_email_requests",
    )
    EXPECTED = ("requests", "success_requests", "error_requests", "billable_tokens")

    def __init__(self) -> None:
        self.counts = Counter()
        self.quarantined = Counter()
        self.truncated_files: list[str] = []
        self.redelivered_files: list[dict] = []
        self.invoice_tokens: dict[int, dict] = {}
        self.by_source: dict[str, Counter] = {}
        self.seen_identities: set = set()

    def add(self, report: UsageDayReport) -> None:
        for tool, stats in report.by_source.items():
            self.by_source.setdefault(tool, Counter()).update(stats)
        self.seen_identities |= report.seen_identities
        self.invoice_tokens[report.day] = report.invoice_tokens
        for name in self.COUNTS + self.EXPECTED:
            self.counts[name] += getattr(report, name)
        self.quarantined.update(report.quarantined)
        self.truncated_files.extend(report.truncated_files)
        self.redelivered_files.extend(report.redelivered_files)


def _reasons(counter: Counter, whole_files: dict | None = None) -> dict:
    reasons = {reason: int(counter.get(reason, 0)) for reason in cfg.QUARANTINE_REASONS}
    reasons.update({reason: 0 for reason in cfg.WHOLE_FILE_REASONS})
    reasons.update(whole_files or {})
    return reasons


def _truth(
    args, period: Period, pop: Population, plan: TrapPlan, reference, usage, deploys, snapshots
):
    d = deploys.report
    missing_regular = [period.date(x).isoformat() for x in sorted(plan.roster_missing_days)]
    return {
        "complete": True,
        "version": TRUTH_VERSION,
        "args": args,
        "date_range": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "valid_usage_lines": usage.counts["valid_lines"],
        "tokenmaxxer_ids": pop.ids_where(pop.tokenmaxxer),
        "tokenmaxxer_loop_start_dates": {
            pop.employee_id[p]: period.date(int(pop.loop_start_day[p])).isoformat()
            for p in range(pop.size)
            if pop.tokenmaxxer[p]
        },
        "heavy_user_ids": pop.ids_where(pop.heavy),
        "planted": gaming_truth(pop),
        "never_user_ids": pop.ids_where(pop.never_user),
        "population": _population_summary(pop),
        "quarantine": {
            "usage": _reasons(usage.quarantined, {"truncated_gzip": len(usage.truncated_files)}),
            "deploys": _reasons(d.quarantined),
            "roster": _reasons(Counter()),
        },
        "usage": {
            **{name: usage.counts[name] for name in _UsageTotals.COUNTS},
            "truncated_files": usage.truncated_files,
            "redelivered_files": usage.redelivered_files,
            "expected": {name: usage.counts[name] for name in _UsageTotals.EXPECTED},
        },
        "deploys": {
            "files": d.files,
            "rows_written": d.rows_written,
            "valid_rows": d.valid_rows,
            "late_rows": d.late_rows,
            "duplicate_identical_rows": d.duplicate_identical_rows,
            "duplicate_conflicting_rows": d.duplicate_conflicting_rows,
            "redelivered_files": d.redelivered_files,
            "bot_emails": list(cfg.BOT_EMAILS),
            "changes": d.changes,
            "bot_changes": d.bot_changes,
            "staging_only_changes": d.staging_only_changes,
            "retried_deployments": d.retried_deployments,
            "rollbacks_within_7d": d.rollbacks_within_7d,
            "rollbacks_after_7d": d.rollbacks_after_7d,
            "expected": {
                "delivered_changes": d.delivered_changes,
                "normalized_deployments": d.normalized_deployments,
            },
        },
        "roster": {
            "snapshot_dates": [
                p.removeprefix("roster/roster_").removesuffix(".csv") for p in snapshots
            ],
            "missing_workdays": missing_regular,
        },
        "reference": reference,
    }


def _population_summary(pop: Population) -> dict:
    def count(days) -> int:
        return int(((days >= 0) & (days < pop.period.days)).sum())

    return {
        "employees_at_start": int((pop.hire_day < 0).sum()),
        "people_total": pop.size,
        "orgs": pop.org_names,
        "teams": len(pop.teams.team_id),
        "hires": count(pop.hire_day),
        "terminations": count(pop.term_day),
        "leaves": count(pop.leave_start),
        "team_moves": count(pop.move_day),
        "email_changes": count(pop.email_change_day),
        "reorg": pop.reorg,
    }


def _add_sources_truth(truth, landing, plan, population, usage, unmatched: int) -> None:
    """Usage per tool, the identity map, and the identities planted as missing from it."""
    seen = [
        (kind, identity_value(plan, kind, person), person) for kind, person in usage.seen_identities
    ]
    left_out = choose_unmatched(plan.seed, _unmatched_candidates(plan, seen), unmatched)
    rows = write_identities(landing, plan, population, {(k, v) for k, v, _ in left_out})
    truth["usage"]["by_source"] = {
        TOOL_NAMES[name]: {
            k: int(v) for k, v in sorted(usage.by_source.get(TOOL_NAMES[name], Counter()).items())
        }
        for name in plan.sources
    }
    truth["identities"] = {
        "rows": rows,
        "by_type": dict(sorted(Counter(row[0] for row in identity_rows(plan, population)).items())),
        "handover": _handover_truth(plan, population),
        "copilot_user_ids": population.ids_where(plan.copilot_user),
    }
    truth["planted"]["unmatched_identities"] = [
        {"source": IDENTITY_SOURCES[kind], "identity_type": kind, "identity_value": value}
        for kind, value, _ in sorted(
            left_out, key=lambda item: (IDENTITY_SOURCES[item[0]], item[0], item[1])
        )
    ]


def _handover_truth(plan, population) -> dict | None:
    if plan.handover is None:
        return None
    day, giver, taker = plan.handover
    return {
        "identity_type": "litellm_api_key",
        "identity_value": plan.api_key[giver],
        "date": population.period.date(day).isoformat(),
        "from_employee_id": population.employee_id[giver],
        "to_employee_id": population.employee_id[taker],
    }


def _unmatched_candidates(plan, identities) -> list[tuple[str, str, int]]:
    """(type, value, person) that may be left out of the map: delivered exactly as the
    map spells them (so the truth holds whatever case-folding the reader applies),
    and not the key that changes hands."""
    return [
        (kind, value, person)
        for kind, value, person, *_ in identities
        if (kind != "github_login" or plan.github_display[person] == value)
        and not (plan.handover and person in plan.handover[1:])
    ]
