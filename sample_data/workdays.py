"""Working days, holidays and the fixed dates of the simulated period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from sample_data import organisation as cfg


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = next_month - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def holidays(year: int) -> frozenset[dt.date]:
    """A company calendar: fixed and floating public holidays the HRIS skips."""
    monday, thursday = 0, 3
    return frozenset(
        {
            dt.date(year, 1, 1),
            _nth_weekday(year, 1, monday, 3),
            _nth_weekday(year, 2, monday, 3),
            _last_weekday(year, 5, monday),
            dt.date(year, 7, 4),
            _nth_weekday(year, 9, monday, 1),
            _nth_weekday(year, 11, thursday, 4),
            dt.date(year, 12, 25),
            dt.date(year, 12, 26),
        }
    )


@dataclass(frozen=True)
class Period:
    start: dt.date
    days: int

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def clip(self, day: int) -> int:
        return min(max(day, 0), self.days - 1)

    @cached_property
    def workday_flags(self) -> tuple[bool, ...]:
        years = range(self.start.year, self.end.year + 1)
        off = frozenset().union(*(holidays(y) for y in years))
        return tuple(
            self.date(d).weekday() < 5 and self.date(d) not in off for d in range(self.days)
        )

    def is_workday(self, day: int) -> bool:
        return self.workday_flags[day]

    @cached_property
    def regular_snapshot_days(self) -> tuple[int, ...]:
        """Days the HRIS exports a roster: workdays, and always the first day, so
        every event of the period falls on or after a snapshot."""
        return tuple(d for d in range(self.days) if d == 0 or self.workday_flags[d])

    @cached_property
    def price_change_day(self) -> int:
        return max(1, round(self.days * cfg.PRICE_CHANGE_AT))

    @cached_property
    def contract_switch_day(self) -> int:
        """The first of a month near the middle of the period when there is one,
        because contracts change at month starts; else the middle day."""
        lo, hi = self.days // 4, (3 * self.days) // 4
        firsts = [d for d in range(max(lo, 1), hi + 1) if self.date(d).day == 1]
        if firsts:
            middle = self.days / 2
            return min(firsts, key=lambda d: (abs(d - middle), d))
        return max(1, self.days // 2)

    @property
    def reference_start(self) -> dt.date:
        """Price book and contracts start at the beginning of the start's year."""
        return dt.date(self.start.year, 1, 1)
