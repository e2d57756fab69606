"""Each request and each deployment counts once, after dbt's dedupe.

The raw tables keep every copy (re-deliveries, overlapping exports); dbt keeps
one (macro winning_copies, the one statement of the landing contract's
duplicate rule). These checks do not choose copies themselves: they reconcile
what dbt kept with the distinct ids of the raw rows, so a copy counted twice
and a request lost both show up with their figures.
"""

from __future__ import annotations

import pandas as pd

from data_quality.config import DQConfig
from data_quality.core import Connection, Outcome, Scope, fmt, frame, records, row
from data_quality.expectations import expectation, validate, validate_one

USAGE_FACT = "marts.fct_token_usage_daily"
# The winning copy of each request_id, built by dbt (the landing contract's
# duplicate rule lives there only).
WINNING_COPIES = "intermediate.int_usage__winning_copies"


def deployment_ids_counted_once(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    deduplicated = config.deduplicated_deployments_relation
    counts = row(
        con,
        f"""
        WITH kept AS (SELECT DISTINCT deployment_id FROM {deduplicated}),
        extracted AS (SELECT DISTINCT deployment_id FROM raw.deploy_records)
        SELECT
            (SELECT count(*) FROM {deduplicated}) AS rows,
            (SELECT count(*) FROM {deduplicated}) - (SELECT count(DISTINCT deployment_id)
                FROM {deduplicated}) AS duplicate_rows,
            (SELECT count(*) FROM (SELECT * FROM extracted EXCEPT SELECT * FROM kept)) AS missing_ids,
            (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM extracted)) AS unknown_ids
        """,
    )
    verdicts = validate(
        pd.DataFrame([counts]),
        [
            expectation(
                f"{name}_is_zero",
                "ExpectColumnValuesToBeBetween",
                column=name,
                min_value=0,
                max_value=0,
            )
            for name in ("duplicate_rows", "missing_ids", "unknown_ids")
        ],
    )
    repeated = frame(
        con,
        f"""
        SELECT deployment_id, count(*) AS times FROM {deduplicated}
        GROUP BY deployment_id HAVING count(*) > 1 ORDER BY times DESC, deployment_id LIMIT 10
        """,
    )
    miscounted = counts["duplicate_rows"] + counts["missing_ids"] + counts["unknown_ids"]
    return Outcome.from_verdicts(
        verdicts,
        observed=miscounted,
        threshold=0,
        summary=(
            f"{deduplicated}: {fmt(counts['duplicate_rows'])} duplicate rows, "
            f"{fmt(counts['missing_ids'])} extracted deployment ids missing, "
            f"{fmt(counts['unknown_ids'])} ids not in raw.deploy_records, of {fmt(counts['rows'])} rows"
        ),
        figures={**counts, "relation": deduplicated, "repeated_ids": records(repeated)},
    )


def _days_window(con: Connection, scope: Scope) -> str:
    """A predicate on usage_date for the request days of the run's partitions."""
    days = scope.event_days(con)
    if days is None:
        return "TRUE"
    if not days:
        return "FALSE"
    listed = ", ".join(f"DATE '{day.isoformat()}'" for day in days)
    return f"usage_date IN ({listed})"


def request_ids_counted_once(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    mart_window = _days_window(con, scope)
    # A request belongs to the day of its winning copy. Which copy wins is
    # dbt's rule, stated once (macro winning_copies); this check counts
    # the winners of dbt's view WINNING_COPIES per day against the mart, so a
    # request counted on two days, a stale day or a lost request shows up.
    # The view ranks every request of history (DuckDB does not push a
    # request_id filter below its window). Days outside the mart's covered
    # range (before the first roster snapshot) are not the mart's to count.
    days = frame(
        con,
        f"""
        WITH requests AS (
            SELECT usage_date FROM {WINNING_COPIES} WHERE {mart_window}
        ), raw_daily AS (
            SELECT usage_date, count(*) AS raw_requests FROM requests GROUP BY usage_date
        ), mart_daily AS (
            SELECT usage_date, sum(requests) AS mart_requests
            FROM {USAGE_FACT} WHERE {mart_window} GROUP BY usage_date
        ), covered AS (
            SELECT min(usage_date) AS first_day, max(usage_date) AS last_day FROM {USAGE_FACT}
        )
        SELECT coalesce(raw_daily.usage_date, mart_daily.usage_date) AS usage_date,
               coalesce(raw_requests, 0) AS raw_requests,
               coalesce(mart_requests, 0) AS mart_requests
        FROM raw_daily FULL JOIN mart_daily ON raw_daily.usage_date = mart_daily.usage_date
        CROSS JOIN covered
        WHERE coalesce(raw_daily.usage_date, mart_daily.usage_date)
              BETWEEN covered.first_day AND covered.last_day
        ORDER BY 1
        """,
    )
    verdicts, off = validate_one(
        days,
        "mart_equals_distinct_raw",
        "ExpectColumnPairValuesToBeEqual",
        column_A="mart_requests",
        column_B="raw_requests",
    )
    surplus = (off.mart_requests - off.raw_requests).clip(lower=0)
    deficit = (off.raw_requests - off.mart_requests).clip(lower=0)
    return Outcome.from_verdicts(
        verdicts,
        observed=int(surplus.sum() + deficit.sum()),
        threshold=0,
        summary=(
            f"{fmt(surplus.sum())} requests counted more than once and {fmt(deficit.sum())} missing in "
            f"{USAGE_FACT} against {fmt(days.raw_requests.sum())} distinct request ids over "
            f"{len(days)} days ({scope.describe()}); {len(off)} days differ"
        ),
        figures={
            "distinct_raw_requests": int(days.raw_requests.sum()),
            "mart_requests": int(days.mart_requests.sum()),
            "requests_counted_twice": int(surplus.sum()),
            "requests_missing": int(deficit.sum()),
            "days_differing": records(off),
        },
    )
