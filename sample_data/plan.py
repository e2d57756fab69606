"""Where and how often the traps go, decided once before any data is drawn.

With `bad_rate > 0` every kind of trap is planted at least once (on a workday),
whatever the size of the run, so tests can rely on seeing each of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_data import organisation as cfg
from sample_data.population import NEVER, Population
from sample_data.randomness import PLAN, stream
from sample_data.workdays import Period


@dataclass(frozen=True)
class UsageDayPlan:
    day: int
    bad_rate: float
    forced_bad_reasons: tuple[str, ...] = ()
    force_unknown_email: bool = False
    redeliver_offset: int | None = None  # shard 0's file sent again, this many days later
    truncate: bool = False

    @property
    def late_share(self) -> float:
        return min(1.0, cfg.LATE_FACTOR * self.bad_rate)


@dataclass(frozen=True)
class DeployTrapPlan:
    bad_rate: float
    forced_bad_days: dict[str, int]
    redelivery_offsets: dict[int, int]  # day -> partition offset of the copy


@dataclass(frozen=True)
class TrapPlan:
    usage_days: tuple[UsageDayPlan, ...]
    deploys: DeployTrapPlan
    roster_missing_days: frozenset[int]


def _some_days(rng, candidates: list[int], probability: float, at_least_one: bool) -> list[int]:
    if not candidates:
        return []
    picked = [
        d for d, u in zip(candidates, rng.random(len(candidates)), strict=True) if u < probability
    ]
    if at_least_one and not picked:
        picked = [candidates[int(rng.integers(len(candidates)))]]
    return picked


def _workdays_or_all(period: Period) -> list[int]:
    workdays = [d for d in range(period.days) if period.is_workday(d)]
    return workdays or list(range(period.days))


def _offset(rng, day: int, period: Period) -> int:
    return int(rng.integers(0, 2)) if day + 1 < period.days else 0


def plan_traps(seed: int, period: Period, population: Population, bad_rate: float) -> TrapPlan:
    rng = stream(seed, PLAN)
    on = bad_rate > 0
    workdays = _workdays_or_all(period)

    def a_workday() -> int:
        return workdays[int(rng.integers(len(workdays)))]

    forced_usage: dict[int, list[str]] = {}
    for reason in cfg.USAGE_BAD_LINE_SHARES:
        if on:
            forced_usage.setdefault(a_workday(), []).append(reason)
    unknown_day = a_workday() if on else None
    redeliver = _some_days(rng, workdays, cfg.REDELIVERY_DAY_FACTOR * bad_rate, on)
    redeliver_offsets = {d: _offset(rng, d, period) for d in redeliver}
    truncate = set(_some_days(rng, workdays, cfg.TRUNCATED_DAY_FACTOR * bad_rate, on))
    usage_days = tuple(
        UsageDayPlan(
            day=d,
            bad_rate=bad_rate,
            forced_bad_reasons=tuple(forced_usage.get(d, ())),
            force_unknown_email=d == unknown_day,
            redeliver_offset=redeliver_offsets.get(d),
            truncate=d in truncate,
        )
        for d in range(period.days)
    )
    deploy_forced = {reason: a_workday() for reason in cfg.DEPLOY_BAD_ROW_SHARES} if on else {}
    # not the last day: bad rows due on a re-sent day move to the next day's export
    deploy_redeliver = _some_days(rng, workdays[:-1], cfg.REDELIVERY_DAY_FACTOR * bad_rate, on)
    deploys = DeployTrapPlan(
        bad_rate=bad_rate,
        forced_bad_days=deploy_forced,
        redelivery_offsets={d: _offset(rng, d, period) for d in deploy_redeliver},
    )
    return TrapPlan(usage_days, deploys, _missing_roster_days(rng, period, population, bad_rate))


def _missing_roster_days(rng, period: Period, population: Population, bad_rate: float):
    """Extra snapshot days the HRIS export skips. Never the first or last snapshot,
    nor a day a new address first appears, so every address stays in some snapshot."""
    regular = period.regular_snapshot_days
    protected = {regular[0], regular[-1]}
    for days in (population.hire_day, population.email_change_day):
        protected.update(int(d) for d in np.unique(days) if 0 <= d < NEVER)
    candidates = [d for d in regular if d not in protected]
    probability = min(1.0, cfg.MISSING_ROSTER_DAY_FACTOR * bad_rate)
    return frozenset(_some_days(rng, candidates, probability, bad_rate > 0))
