"""Freshness of the usage and deploy deliveries behind the marts.

A source is fresh when its newest delivered partition is at most
`freshness_max_lag_days` behind a reference day. By default the reference is
the newest partition delivered by any source: it needs no clock, so the demo
and tests on historic data pass, and it still catches the real failure — one
export stopping while the other keeps arriving, which would make the newest
weeks show usage without deployments (or the reverse). When every feed stops
at once only a calendar reference notices; set AIW_DQ_FRESHNESS_REFERENCE_DATE
to `today` (or a date) in production for that.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data_quality.config import DQConfig
from data_quality.core import Connection, Outcome, Scope, fmt, frame, plain, records
from data_quality.expectations import expectation, validate

SOURCES = {"usage": "raw.usage_requests", "deploys": "raw.deploy_records"}


def _newest_partitions(con: Connection) -> pd.DataFrame:
    # A loaded file counts even when empty (nothing happened that day);
    # a wholly quarantined file does not (nothing usable arrived).
    parts = [
        f"""
        SELECT '{source}' AS source, greatest(
            (SELECT max(dt) FROM {table}),
            (SELECT max(dt) FROM raw.landing_files
             WHERE source = '{source}' AND file_status = 'loaded')) AS newest_partition
        """
        for source, table in SOURCES.items()
    ]
    return frame(con, " UNION ALL ".join(parts))


def _reference(newest: pd.DataFrame, config: DQConfig) -> tuple[dt.date | None, str]:
    configured = config.reference_date()
    if configured is not None:
        return configured, f"configured reference {configured.isoformat()}"
    latest = plain(newest.newest_partition.max())
    day = dt.date.fromisoformat(latest) if latest else None
    return day, "newest partition of any source"


def _check(con: Connection, config: DQConfig, source: str) -> Outcome:
    newest = _newest_partitions(con)
    reference, basis = _reference(newest, config)
    newest["newest_partition"] = pd.to_datetime(newest.newest_partition)
    if reference is not None:
        newest["lag_days"] = (pd.Timestamp(reference) - newest.newest_partition).dt.days
    else:
        newest["lag_days"] = float("nan")
    this = newest[newest.source == source]
    verdicts = validate(
        this,
        [
            expectation(
                "has_delivered", "ExpectColumnValuesToNotBeNull", column="newest_partition"
            ),
            expectation(
                "lag_within_limit",
                "ExpectColumnValuesToBeBetween",
                column="lag_days",
                max_value=config.freshness_max_lag_days,
            ),
        ],
    )
    lag = plain(this.lag_days.iloc[0])
    delivered = plain(this.newest_partition.iloc[0])
    return Outcome.from_verdicts(
        verdicts,
        observed=lag,
        threshold=config.freshness_max_lag_days,
        summary=(
            f"newest {source} partition {delivered or 'none'} is {fmt(lag)} days behind "
            f"{reference.isoformat() if reference else 'n/a'} ({basis}); "
            f"limit {config.freshness_max_lag_days} days"
        ),
        figures={
            "reference_day": reference.isoformat() if reference else None,
            "reference_basis": basis,
            "sources": records(newest),
        },
    )


def usage_fresh(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    return _check(con, config, "usage")


def deploys_fresh(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    return _check(con, config, "deploys")
