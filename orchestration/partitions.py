"""Daily delivery partitions, and what a partition range means for dbt."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import dagster as dg

from orchestration.landing import PARTITIONED_SOURCES
from orchestration.settings import partitions_start

# The oldest day the warehouse accepts (AIW_PARTITIONS_START, read by
# settings.partitions_start), for delivery folders and event timestamps alike:
# an older timestamp is quarantined as `timestamp_before_partitions`. This is
# the one setting; the partitions a code location shows are derived from it
# and the landing zone (see first_delivery_day).
PARTITIONS_START = partitions_start().isoformat()

# The run tags Dagster puts on a partitioned run (documented tag names; Dagster
# exports no public constants for them, tests/unit/test_partitions.py holds
# them against its private ones).
PARTITION_NAME_TAG = "dagster/partition"
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

# A backfill over many delivery days runs as one run over the whole range: the
# WORK database has one writer, and one dbt invocation for a range costs about
# what one for a single day does.
single_run = dg.BackfillPolicy.single_run()


# dbt needs no window from a run: the usage model rebuilds the days extraction
# queued (raw.usage_days_to_rebuild), i.e. the distinct request days of the
# rows each reloaded partition removed or added, and every other model is a
# table rebuilt whole. So one `dbt build` serves any partition range, without
# --vars (which would make dbt re-parse the project).
DBT_BUILD_ARGS = ["build"]


def partitions_floor() -> dt.date:
    return partitions_start()


def first_delivery_day(days: list[dt.date]) -> dt.date:
    """Where the partitions start: the landing zone's first `dt=` day on or after
    AIW_PARTITIONS_START, so the UI shows the days that can hold data rather than
    hundreds of empty ones. With nothing delivered yet, today (UTC): a zone that
    receives older folders later needs its code location reloaded to show them."""
    floor = partitions_floor()
    admitted = [d for d in days if d >= floor]
    if admitted:
        return min(admitted)
    return max(floor, dt.datetime.now(dt.UTC).date())


def delivery_partitions(first_day: dt.date) -> dg.DailyPartitionsDefinition:
    """Daily partitions keyed by delivery date `dt`, from first_day. end_offset=1
    admits today's folder, which a gateway may already be filling."""
    return dg.DailyPartitionsDefinition(start_date=first_day.isoformat(), end_offset=1)


def loaded_partitions(con) -> set[dt.date]:
    """Delivery partitions (of any partitioned landing folder) that have files
    recorded in WORK."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = 'landing_files'"
    ).fetchone()[0]
    if not exists:
        return set()
    rows = con.execute(
        "SELECT DISTINCT dt FROM raw.landing_files WHERE dt IS NOT NULL "
        f"AND source IN ({', '.join(repr(s) for s in PARTITIONED_SOURCES)}) "
        "AND file_status IN ('loaded', 'quarantined')"
    ).fetchall()
    return {day for (day,) in rows}


def days_from_tags(tags: Mapping[str, str]) -> tuple[dt.date, dt.date] | None:
    """The delivery days a run covers, from the tags Dagster puts on a ranged run
    (`aiw run`, a single-run backfill, the sensor) or a single-partition run
    (schedule, UI); None for a run that names no partition."""
    first = tags.get(ASSET_PARTITION_RANGE_START_TAG) or tags.get(PARTITION_NAME_TAG)
    last = tags.get(ASSET_PARTITION_RANGE_END_TAG) or tags.get(PARTITION_NAME_TAG)
    try:
        return dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except (TypeError, ValueError):
        return None


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Every delivery day of the run (a single key or a backfill range). The
    partitioned extraction assets read their own window; the assets rebuilt
    whole (dbt) are unpartitioned and read the run's tags. Empty when the run
    names no partition (a UI refresh of the models alone)."""
    if context.assets_def.partitions_def is not None:
        window = context.partition_time_window
        first = window.start.date()
        last = window.end.date() - dt.timedelta(days=1)
    else:
        bounds = days_from_tags(context.run.tags)
        if bounds is None:
            return []
        first, last = bounds
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
