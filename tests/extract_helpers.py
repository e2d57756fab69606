"""Helpers shared by the extraction tests: load one day of a source from a
landing zone, and read back what was quarantined."""

from __future__ import annotations

import datetime as dt

from orchestration.extract import load_partition
from orchestration.landing import LandingZone


def day_loader(source, default_day: str):
    """`load(con, root, day=default_day)`: one partition of `source` from the landing zone at `root`."""

    def load(con, root, day=default_day):
        return load_partition(con, LandingZone(str(root)), source, dt.date.fromisoformat(day))

    return load


def quarantined(con, source=None):
    """(source_file, line_number, reason) of quarantined records, of one source or all."""
    where = "" if source is None else f"WHERE source = '{source}'"
    return con.execute(
        f"SELECT source_file, line_number, reason FROM raw.quarantined_records {where} "
        "ORDER BY source_file, line_number"
    ).fetchall()
