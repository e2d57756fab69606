"""The CD system: changes by developers, deployed to staging and production.

Deployments are few next to usage, so they are simulated in Python, one event
day at a time. Rows wait in a small buffer keyed by delivery day (rollbacks and
late exports land up to two weeks later) and each partition's export is written
as soon as its day has been simulated, so memory does not grow with the period.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from sample_data import organisation as cfg
from sample_data.plan import DeployTrapPlan
from sample_data.population import DayState, Population
from sample_data.randomness import DEPLOY_TRAPS, DEPLOYS, choose_from_shares, stream
from sample_data.storage import Landing
from sample_data.workdays import Period

DEPLOY_HEADER = [
    "deployment_id",
    "change_id",
    "commit_sha",
    "service",
    "environment",
    "region",
    "attempt",
    "author_email",
    "started_at",
    "finished_at",
    "status",
    "rollback_of",
    "lines_added",
    "lines_deleted",
    "ai_assisted",
]
ROLLBACK_WINDOW = dt.timedelta(hours=168)
_OFFSETS = [loc[2] for loc in cfg.LOCATIONS]


class DeployRow(NamedTuple):
    deployment_id: str
    change_id: str
    commit_sha: str
    service: str
    environment: str
    region: str
    attempt: int
    author_email: str
    started_at: dt.datetime  # naive UTC
    finished_at: dt.datetime | None
    status: str
    rollback_of: str
    lines_added: int
    lines_deleted: int
    ai_assisted: bool
    offset_minutes: int | None = None  # written in this UTC offset, else with Z

    @property
    def event_time(self) -> dt.datetime:
        return self.finished_at or self.started_at

    def fields(self) -> list[str]:
        return [
            self.deployment_id,
            self.change_id,
            self.commit_sha,
            self.service,
            self.environment,
            self.region,
            str(self.attempt),
            self.author_email,
            format_time(self.started_at, self.offset_minutes),
            format_time(self.finished_at, self.offset_minutes) if self.finished_at else "",
            self.status,
            self.rollback_of,
            str(self.lines_added),
            str(self.lines_deleted),
            "true" if self.ai_assisted else "false",
        ]


def format_time(moment: dt.datetime, offset_minutes: int | None) -> str:
    if offset_minutes is None:
        return f"{moment:%Y-%m-%dT%H:%M:%S}Z"
    local = moment + dt.timedelta(minutes=offset_minutes)
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{local:%Y-%m-%dT%H:%M:%S}{sign}{hours:02d}:{minutes:02d}"


@dataclass
class DeployReport:
    files: int = 0
    rows_written: int = 0
    valid_rows: int = 0
    late_rows: int = 0
    duplicate_identical_rows: int = 0
    duplicate_conflicting_rows: int = 0
    quarantined: Counter = field(default_factory=Counter)
    redelivered_files: list[dict] = field(default_factory=list)
    changes: int = 0
    bot_changes: int = 0
    staging_only_changes: int = 0
    retried_deployments: int = 0
    rollbacks_within_7d: int = 0
    rollbacks_after_7d: int = 0
    delivered_changes: int = 0
    normalized_deployments: int = 0


@dataclass
class _Author:
    person: int  # -1 for a bot
    email: str
    service: str
    offset_minutes: int
    ai_share: float


class DeploySimulator:
    def __init__(self, seed: int, population: Population, plan: DeployTrapPlan, landing: Landing):
        self.population = population
        self.period: Period = population.period
        self.plan = plan
        self.landing = landing
        self.rng = stream(seed, DEPLOYS)
        self.traps = stream(seed, DEPLOY_TRAPS)
        self.backlog = population.change_backlog.copy()
        self.pending: dict[int, list[DeployRow]] = defaultdict(list)
        self.deferred_bad: list[str] = []
        self.report = DeployReport()
        self._next_deployment = 1
        self._next_change = 1
        self._next_bad = 0

    # --- ids -------------------------------------------------------------------------

    def _deployment_id(self) -> str:
        self._next_deployment += 1
        return f"dep-{self._next_deployment - 1:07d}"

    def _change_id(self) -> str:
        self._next_change += 1
        return f"chg-{self._next_change - 1:06d}"

    def _sha(self) -> str:
        return self.rng.bytes(20).hex()

    # --- simulation --------------------------------------------------------------------

    def step(self, day: int) -> None:
        """Simulate changes started on `day`, then write that day's export."""
        state = self.population.state_on(day)
        authors = self._authors_of_the_day(day, state)
        for author in authors:
            self._ship_change(day, author)
        self._flush(day)

    def _authors_of_the_day(self, day: int, state: DayState) -> list[_Author]:
        pop = self.population
        workday = self.period.is_workday(day)
        adopted, heaviness = pop.adopted_on(day), pop.heaviness_on(day)
        boost = np.where(adopted, cfg.ADOPTED_CHANGE_BOOST, 1.0)
        rate = pop.change_rate * boost * (1.0 if workday else cfg.OFF_DAY_CHANGE_FACTOR)
        rate = np.where(state.active, rate, 0.0)
        self.backlog += rate * self.rng.uniform(0.6, 1.4, pop.size)
        counts = np.floor(self.backlog).astype(int)
        self.backlog -= counts
        authors = []
        for person in np.flatnonzero(counts).tolist():
            author = self._author(person, state, bool(adopted[person]), float(heaviness[person]))
            authors.extend([author] * int(counts[person]))
        n_bots = int(self.rng.poisson(cfg.BOT_CHANGE_SHARE * len(authors)))
        for _ in range(n_bots):
            team = int(self.rng.integers(len(pop.teams.team_id)))
            bot_email = cfg.BOT_EMAILS[int(self.rng.integers(len(cfg.BOT_EMAILS)))]
            authors.append(_Author(-1, bot_email, pop.teams.service[team], 0, 0.0))
        return authors

    def _author(self, person: int, state: DayState, adopted: bool, heaviness: float) -> _Author:
        pop = self.population
        if heaviness > 0.5:
            ai_share = cfg.AI_ASSISTED_HEAVY
        elif adopted:
            low, high = cfg.AI_ASSISTED_ADOPTED
            ai_share = low + (high - low) * min(1.0, float(pop.intensity[person]) / 2)
        else:
            ai_share = cfg.AI_ASSISTED_NOT_ADOPTED
        return _Author(
            person=person,
            email=pop.emails[int(state.email[person])],
            service=pop.teams.service[int(state.team[person])],
            offset_minutes=_OFFSETS[int(pop.location[person])],
            ai_share=ai_share,
        )

    def _minutes(self, low: float, high: float) -> dt.timedelta:
        return dt.timedelta(seconds=int(self.rng.uniform(low * 60, high * 60)))

    def _ship_change(self, day: int, author: _Author) -> None:
        rng = self.rng
        self.report.changes += 1
        self.report.bot_changes += author.person < 0
        local_start = rng.uniform(9 * 3600, 17 * 3600) - author.offset_minutes * 60
        start = dt.datetime.combine(self.period.date(day), dt.time()) + dt.timedelta(
            seconds=int(local_start % 86_400)
        )
        added = int(np.exp(rng.normal(np.log(60), 1.0))) + 1
        if self.population.gaming is not None:
            added = self.population.gaming.tiny_lines(author.person, added)
        template = DeployRow(
            deployment_id="",
            change_id=self._change_id(),
            commit_sha=self._sha(),
            service=author.service,
            environment="staging",
            region=cfg.STAGING_REGION,
            attempt=1,
            author_email=author.email,
            started_at=start,
            finished_at=None,
            status="succeeded",
            rollback_of="",
            lines_added=added,
            lines_deleted=int(added * rng.uniform(0.05, 0.6)),
            ai_assisted=bool(rng.random() < author.ai_share),
            offset_minutes=author.offset_minutes
            if rng.random() < cfg.OFFSET_TIMESTAMP_SHARE
            else None,
        )
        clock = start
        if rng.random() < cfg.DEVELOPMENT_SHARE:
            clock = self._deploy(template._replace(environment="development"), clock).finished_at
        cancelled = rng.random() < cfg.STAGING_CANCELLED_SHARE
        clock = self._deploy(
            template, clock, failure="cancelled" if cancelled else None
        ).finished_at
        if rng.random() < cfg.STAGING_ONLY_SHARE:
            self.report.staging_only_changes += 1
            return
        clock += self._minutes(30, 240)
        production = self._deploy_to_production(template, clock)
        self._count_delivery(production)
        self._maybe_roll_back(production, author)

    def _deploy(self, template: DeployRow, clock: dt.datetime, failure: str | None = None,
                region: str | None = None) -> DeployRow:  # fmt: skip
        """One environment (and region): attempt 1, and attempt 2 if it failed.
        Returns the succeeded deployment."""
        row = template._replace(region=region or template.region)
        if failure:
            self.report.retried_deployments += 1
            finished = clock + self._minutes(3, 10)
            self._schedule(row._replace(deployment_id=self._deployment_id(), started_at=clock,
                                   finished_at=finished, status=failure))  # fmt: skip
            clock = finished + self._minutes(5, 20)
            row = row._replace(attempt=2)
        finished = clock + self._minutes(8, 25)
        row = row._replace(
            deployment_id=self._deployment_id(), started_at=clock, finished_at=finished
        )
        if (
            row.environment == "production"
            and self.rng.random() < cfg.CAPITALISED_ENVIRONMENT_SHARE
        ):
            row = row._replace(environment="Production")
        self._schedule_succeeded(row)
        return row

    def _deploy_to_production(self, template: DeployRow, clock: dt.datetime) -> list[DeployRow]:
        n_regions = 1 + int(choose_from_shares(self.rng, cfg.REGION_COUNT_SHARES, 1)[0])
        succeeded = []
        for region in cfg.REGIONS[:n_regions]:
            failed = self.rng.random() < cfg.RETRY_SHARE
            row = self._deploy(template._replace(environment="production"), clock,
                               failure="failed" if failed else None, region=region)  # fmt: skip
            succeeded.append(row)
            clock = row.finished_at + self._minutes(5, 30)
        return succeeded

    def _count_delivery(self, production: list[DeployRow]) -> None:
        self.delivering = production[0]
        self.delivered = self._emitted(self.delivering)
        self.report.delivered_changes += self.delivered
        self.report.normalized_deployments += self.delivered

    def _maybe_roll_back(self, production: list[DeployRow], author: _Author) -> None:
        u = self.rng.random()
        if u < cfg.ROLLBACK_WITHIN_7D_SHARE:
            delay, within = self._minutes(60, 150 * 60), True
        elif u < cfg.ROLLBACK_WITHIN_7D_SHARE + cfg.ROLLBACK_AFTER_7D_SHARE:
            delay, within = self._minutes(8 * 1440, 14 * 1440), False
        else:
            return
        target = production[int(self.rng.integers(len(production)))]
        finished = production[-1].finished_at + delay
        rollback = DeployRow(
            deployment_id=self._deployment_id(),
            change_id=self._change_id(),
            commit_sha=self._sha(),
            service=target.service,
            environment="production",
            region=target.region,
            attempt=1,
            author_email=author.email,
            started_at=finished - self._minutes(5, 15),
            finished_at=finished,
            status="succeeded",
            rollback_of=target.deployment_id,
            lines_added=target.lines_deleted,
            lines_deleted=target.lines_added,
            ai_assisted=False,
        )
        if not self._emitted(rollback):
            return
        self._schedule(rollback)
        if within:
            self.report.rollbacks_within_7d += 1
            assert finished - self.delivering.finished_at <= ROLLBACK_WINDOW
            self.report.normalized_deployments -= self.delivered
        else:
            self.report.rollbacks_after_7d += 1

    # --- delivery ----------------------------------------------------------------------

    def _day_of(self, moment: dt.datetime) -> int:
        return (moment.date() - self.period.start).days

    def _emitted(self, row: DeployRow) -> bool:
        """Rows finishing after the period are never exported."""
        return self._day_of(row.event_time) < self.period.days

    def _schedule(self, row: DeployRow, not_before: int = 0) -> None:
        event_day = self._day_of(row.event_time)
        if event_day >= self.period.days:
            return
        delivery = event_day
        late_share = min(1.0, cfg.LATE_FACTOR * self.plan.bad_rate)
        if late_share and self.traps.random() < late_share:
            delivery = self.period.clip(
                event_day + int(self.traps.integers(1, cfg.MAX_LATE_DAYS + 1))
            )
        delivery = max(delivery, not_before)
        self.report.late_rows += delivery > event_day
        self.pending[delivery].append(row)

    def _schedule_succeeded(self, row: DeployRow) -> None:
        """A production deployment may first be exported while still running and
        again when done: a conflicting duplicate where the later export wins."""
        started_day = self._day_of(row.started_at)
        share = min(1.0, cfg.DUPLICATE_CONFLICTING_FACTOR * self.plan.bad_rate)
        is_production = row.environment.lower() == "production"
        if (is_production and share and started_day + 1 < self.period.days and self._emitted(row)
                and self.traps.random() < share):  # fmt: skip
            self.pending[started_day].append(row._replace(finished_at=None, status="in_progress"))
            self.report.duplicate_conflicting_rows += 1
            self._schedule(row, not_before=started_day + 1)
            return
        self._schedule(row)

    def _flush(self, day: int) -> None:
        rows = sorted(self.pending.pop(day, []), key=lambda r: (r.started_at, r.deployment_id))
        self._re_export_some(rows, day)
        reasons = self._bad_reasons(len(rows), day)
        resend_offset = self.plan.redelivery_offsets.get(day)
        if resend_offset is not None and reasons:
            self.deferred_bad.extend(reasons)  # a re-sent export holds clean rows only
            reasons = []
        if not rows and not reasons:
            return
        lines = [row.fields() for row in rows]
        for reason in reasons:
            lines.insert(int(self.traps.integers(0, len(lines) + 1)), self._bad_row(reason, day))
        content = _csv_bytes([DEPLOY_HEADER, *lines])
        path = f"deploys/dt={self.period.date(day).isoformat()}/cd-export.csv"
        self.landing.write(path, content)
        self.report.files += 1
        self.report.rows_written += len(lines)
        self.report.valid_rows += len(rows)
        self.report.quarantined.update(reasons)
        if resend_offset is not None:
            self._resend(path, content, day + resend_offset, len(rows))

    def _re_export_some(self, rows: list[DeployRow], day: int) -> None:
        share = min(1.0, cfg.DUPLICATE_IDENTICAL_FACTOR * self.plan.bad_rate)
        if not share or day + 1 >= self.period.days:
            return
        # a running deployment is re-exported only in its final state, so its two
        # versions never share a file
        for row in rows:
            if row.status != "in_progress" and self.traps.random() < share:
                self.pending[day + 1].append(row)
                self.report.duplicate_identical_rows += 1

    def _resend(self, path: str, content: bytes, day: int, rows: int) -> None:
        copy = f"deploys/dt={self.period.date(day).isoformat()}/cd-export-resent-{self.period.date(day):%Y%m%d}.csv"
        self.landing.write(copy, content)
        first, second = sorted([path, copy])
        self.report.redelivered_files.append({"first": first, "copy": second})
        self.report.files += 1
        self.report.rows_written += rows
        self.report.valid_rows += rows

    def _bad_reasons(self, n_rows: int, day: int) -> list[str]:
        reasons, self.deferred_bad = self.deferred_bad, []
        for reason, share in cfg.DEPLOY_BAD_ROW_SHARES.items():
            if n_rows:
                reasons.extend(
                    [reason]
                    * int(self.traps.binomial(n_rows, min(1.0, share * self.plan.bad_rate)))
                )
            if self.plan.forced_bad_days.get(reason) == day:
                reasons.append(reason)
        return reasons

    def _bad_row(self, reason: str, day: int) -> list[str]:
        """A fresh deployment with exactly one defect."""
        rng = self.traps
        start = dt.datetime.combine(self.period.date(day), dt.time(12)) + dt.timedelta(
            minutes=int(rng.integers(0, 600))
        )
        pop = self.population
        person = int(rng.integers(pop.size))
        team = int(rng.integers(len(pop.teams.team_id)))
        self._next_bad += 1
        row = DeployRow(
            # own id series, so planting bad rows never renumbers the clean ones
            deployment_id=f"dep-b{self._next_bad:06d}",
            change_id=f"chg-b{self._next_bad:06d}",
            commit_sha=rng.bytes(20).hex(),
            service=pop.teams.service[team],
            environment="production",
            region=cfg.REGIONS[0],
            attempt=1,
            author_email=pop.emails[int(pop.email_before[person])],
            started_at=start,
            finished_at=start + dt.timedelta(minutes=12),
            status="succeeded",
            rollback_of="",
            lines_added=int(rng.integers(1, 200)),
            lines_deleted=int(rng.integers(0, 50)),
            ai_assisted=bool(rng.random() < 0.5),
        ).fields()
        return _BAD_ROW_MAKERS[reason](rng, row)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _wrong_field_count(rng, row: list[str]) -> list[str]:
    return [*row, "unexpected"] if rng.random() < 0.5 else row[:-1]


def _invalid_value(rng, row: list[str]) -> list[str]:
    if rng.random() < 0.5:
        row[DEPLOY_HEADER.index("environment")] = _pick(rng, ("qa-cluster", "prod", "sandbox"))
    else:
        row[DEPLOY_HEADER.index("status")] = _pick(rng, ("success", "done", "exploded"))
    return row


def _missing_field(rng, row: list[str]) -> list[str]:
    row[DEPLOY_HEADER.index(_pick(rng, ("deployment_id", "change_id")))] = ""
    return row


def _wrong_type(rng, row: list[str]) -> list[str]:
    column = _pick(rng, ("attempt", "lines_added", "lines_deleted"))
    row[DEPLOY_HEADER.index(column)] = _pick(rng, ("two", "1.5", "n/a"))
    return row


def _negative_count(rng, row: list[str]) -> list[str]:
    column = _pick(rng, ("lines_added", "lines_deleted"))
    row[DEPLOY_HEADER.index(column)] = str(-int(rng.integers(1, 500)))
    return row


def _invalid_timestamp(rng, row: list[str]) -> list[str]:
    column = _pick(rng, ("started_at", "finished_at"))
    stamp = row[DEPLOY_HEADER.index(column)]
    row[DEPLOY_HEADER.index(column)] = _pick(
        rng, (stamp.replace("T", "T2") + "x", "yesterday", stamp[:5] + "13" + stamp[7:])
    )
    return row


def _timestamp_after_delivery(rng, row: list[str]) -> list[str]:
    shift = dt.timedelta(days=int(rng.integers(3, 7)))
    for column in ("started_at", "finished_at"):
        i = DEPLOY_HEADER.index(column)
        moment = dt.datetime.fromisoformat(row[i].replace("Z", "+00:00")).replace(tzinfo=None)
        row[i] = format_time(moment + shift, None)
    return row


_BAD_ROW_MAKERS = {
    "wrong_field_count": _wrong_field_count,
    "invalid_value": _invalid_value,
    "missing_field": _missing_field,
    "wrong_type": _wrong_type,
    "negative_count": _negative_count,
    "invalid_timestamp": _invalid_timestamp,
    "timestamp_after_delivery": _timestamp_after_delivery,
}
assert set(_BAD_ROW_MAKERS) == set(cfg.DEPLOY_BAD_ROW_SHARES)


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()
