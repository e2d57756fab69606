"""How figures are written in chart titles: short, unit included."""

from __future__ import annotations

import datetime as dt


def pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f} %"


def money(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.0f}" if abs(value) >= 1000 else f"${value:,.2f}"


def number(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def figure(value: float | None) -> str:
    """A check's figure or a median: whole and large numbers with thousands separators, else 4 digits."""
    if value is None:
        return ""
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def day(value: str | dt.date | None) -> str:
    """'2026-03-30' -> '30 Mar 2026'."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.day} {value:%b %Y}"


def month(value: str | dt.date) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value:%b %Y}"


def week(value: str | dt.date | None) -> str:
    return f"the week of {day(value)}"
