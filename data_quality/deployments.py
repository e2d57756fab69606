"""Checks that guard the normalized-deployment metric where it is counted."""

from __future__ import annotations

import pandas as pd

from data_quality.config import DQConfig
from data_quality.core import Connection, Outcome, Scope, fmt, frame, records, row
from data_quality.expectations import expectation, validate, validate_one

FACT = "marts.fct_normalized_deployments"
WEEKLY = "marts.team_weekly_metrics"

# What the mart may at most deliver: every change with a succeeded production
# deployment that is not itself a rollback, counted over every extracted copy.
# Copies and re-deliveries only add ids, so this is an upper bound whatever
# dedupe keeps. Environment is compared as staging does (case-insensitive).
RAW_DELIVERABLE_CHANGES = """
    SELECT DISTINCT change_id FROM raw.deploy_records
    WHERE lower(trim(environment)) = 'production'
      AND lower(trim(status)) = 'succeeded'
      AND nullif(trim(rollback_of), '') IS NULL
"""


def reconcile_with_raw(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    counts = row(
        con,
        f"""
        WITH deliverable AS ({RAW_DELIVERABLE_CHANGES})
        SELECT
            (SELECT count(*) FILTER (WHERE is_normalized) FROM {FACT}) AS normalized,
            (SELECT count(*) FROM {FACT}) AS delivered,
            (SELECT count(*) FROM deliverable) AS raw_deliverable_changes,
            (SELECT count(*) FROM {FACT}
             WHERE change_id NOT IN (SELECT change_id FROM deliverable WHERE change_id IS NOT NULL))
                AS changes_not_in_raw
        """,
    )
    verdicts = validate(
        pd.DataFrame([counts]),
        [
            expectation(
                "normalized_within_delivered",
                "ExpectColumnPairValuesAToBeGreaterThanB",
                column_A="delivered",
                column_B="normalized",
                or_equal=True,
            ),
            expectation(
                "delivered_within_raw",
                "ExpectColumnPairValuesAToBeGreaterThanB",
                column_A="raw_deliverable_changes",
                column_B="delivered",
                or_equal=True,
            ),
            expectation(
                "every_change_in_raw",
                "ExpectColumnValuesToBeBetween",
                column="changes_not_in_raw",
                min_value=0,
                max_value=0,
            ),
        ],
    )
    return Outcome.from_verdicts(
        verdicts,
        observed=counts["delivered"],
        threshold=counts["raw_deliverable_changes"],
        summary=(
            f"normalized {fmt(counts['normalized'])} ≤ delivered {fmt(counts['delivered'])} ≤ "
            f"{fmt(counts['raw_deliverable_changes'])} changes with a succeeded production deployment "
            f"in raw.deploy_records; {fmt(counts['changes_not_in_raw'])} delivered changes have none"
        ),
        figures=counts,
    )


def weekly_matches_fact(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    # The headline per-team figure must add up to the fact it is built from.
    weeks = frame(
        con,
        f"""
        WITH weekly AS (
            SELECT week_start, sum(normalized_deployments) AS weekly_total
            FROM {WEEKLY} GROUP BY week_start
        ), fact AS (
            SELECT CAST(date_trunc('week', delivered_date) AS DATE) AS week_start,
                   count(*) AS fact_total
            FROM {FACT} WHERE is_normalized AND team_id IS NOT NULL GROUP BY 1
        )
        SELECT coalesce(weekly.week_start, fact.week_start) AS week_start,
               coalesce(weekly.weekly_total, 0) AS weekly_total,
               coalesce(fact.fact_total, 0) AS fact_total
        FROM weekly FULL JOIN fact ON weekly.week_start = fact.week_start
        ORDER BY 1
        """,
    )
    verdicts, off = validate_one(
        weeks,
        "weekly_equals_fact",
        "ExpectColumnPairValuesToBeEqual",
        column_A="weekly_total",
        column_B="fact_total",
    )
    difference = int((off.weekly_total - off.fact_total).abs().sum())
    return Outcome.from_verdicts(
        verdicts,
        observed=difference,
        threshold=0,
        summary=(
            f"team_weekly_metrics counts {fmt(weeks.weekly_total.sum())} normalized deployments, "
            f"fct_normalized_deployments {fmt(weeks.fact_total.sum())} attributed to a team; "
            f"{len(off)} weeks differ by {difference} in total"
        ),
        figures={
            "weekly_total": int(weeks.weekly_total.sum()),
            "fact_total": int(weeks.fact_total.sum()),
            "weeks_differing": records(off),
        },
    )
