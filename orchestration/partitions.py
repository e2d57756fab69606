"""Daily delivery partitions, and what a partition range means for dbt."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.settings import partitions_start

PARTITIONS_START = partitions_start().isoformat()

# Keyed by delivery date `dt`. end_offset=1 admits today's folder, which a
# gateway may already be filling.
daily_partitions = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)

# DuckDB has a single writer, so a backfill runs as one run over the whole range.
single_run = dg.BackfillPolicy.single_run()


# dbt needs no window from a run: the usage model rebuilds the days extraction
# queued (raw.usage_days_to_rebuild), i.e. the distinct request days of the
# rows each reloaded partition removed or added, and every other model is a
# table rebuilt whole. So one `dbt build` serves any partition range, without
# --vars (which would make dbt re-parse the project).
DBT_BUILD_ARGS = ["build"]


def loaded_partitions(con) -> set[dt.date]:
    """Delivery partitions (usage or deploys) that have files recorded in WORK."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'raw' AND table_name = 'landing_files'"
    ).fetchone()[0]
    if not exists:
        return set()
    rows = con.execute(
        "SELECT DISTINCT dt FROM raw.landing_files WHERE dt IS NOT NULL "
        "AND source IN ('usage', 'deploys') AND file_status IN ('loaded', 'quarantined')"
    ).fetchall()
    return {day for (day,) in rows}


def partition_days(context: dg.AssetExecutionContext) -> list[dt.date]:
    """Every day of the run's partition range (a single key or a backfill range)."""
    window = context.partition_time_window
    first = window.start.date()
    last = window.end.date() - dt.timedelta(days=1)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
