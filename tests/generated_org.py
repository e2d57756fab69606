"""A generated organisation for the end-to-end tests: its landing zone, written
quietly from the start date the tests share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sample_data import generate_landing

START = dt.date(2026, 3, 2)


def generated_landing(landing: Path, *, start: dt.date = START, **size) -> dict:
    """Write the landing zone at `landing` from `start`, with no progress output;
    `size` is generate_landing's employees, days, seed, ...; return the truth."""
    return generate_landing(out=str(landing), start=start, progress=False, **size)
