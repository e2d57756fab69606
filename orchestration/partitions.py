"""Daily delivery partitions and the pure mapping from a partition window to dbt."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.settings import LEAD_DAYS, LOOKBACK_DAYS, partitions_start

PARTITIONS_START = partitions_start().isoformat()

# Keyed by delivery date `dt`. end_offset=1 admits today's folder, which a
# gateway may already be filling.
daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)

# DuckDB has a single writer, so a backfill runs as one run over the whole range.
single_run = dg.BackfillPolicy.single_run()


def event_time_window(
    first_partition: dt.date,
    last_partition: dt.date,
    *,
    lookback_days: int = LOOKBACK_DAYS,
    lead_days: int = LEAD_DAYS,
    earliest_event: dt.date | None = None,
) -> tuple[dt.date, dt.date]:
    """Event days a run over delivery partitions first..last must rebuild.

    A file under dt=D holds events of D-3 .. D+1, so the window starts
    `lookback_days` early, or at `earliest_event` (the oldest event the run's
    partitions delivered) when that is older, and ends `lead_days` late. The
    end is exclusive, as dbt's --event-time-end is.
    """
    if last_partition < first_partition:
        raise ValueError(
            f"partition window ends before it starts: {first_partition}..{last_partition}"
        )
    start = first_partition - dt.timedelta(days=lookback_days)
    if earliest_event is not None:
        start = min(start, earliest_event)
    end = last_partition + dt.timedelta(days=lead_days + 1)
    return start, end


def dbt_build_args(
    first_partition: dt.date, last_partition: dt.date, earliest_event: dt.date | None = None
) -> list[str]:
    """One dbt invocation for the whole window: date flags, never --vars, so dbt
    reuses its parsed manifest instead of re-parsing for every partition."""
    start, end = event_time_window(first_partition, last_partition, earliest_event=earliest_event)
    return ["build", "--event-time-start", start.isoformat(), "--event-time-end", end.isoformat()]


def earliest_usage_day(con, first_partition: dt.date, last_partition: dt.date) -> dt.date | None:
    """The oldest request day delivered under dt=first..last, as loaded."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = 'usage_requests'"
    ).fetchone()[0]
    if not exists:
        return None
    return con.execute(
        "SELECT min(CAST(requested_at AS DATE)) FROM raw.usage_requests WHERE dt BETWEEN ? AND ?",
        [first_partition, last_partition],
    ).fetchone()[0]


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Every day of the run's partition range (a single key or a backfill range)."""
    window = context.partition_time_window
    first = window.start.date()
    last = window.end.date() - dt.timedelta(days=1)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
