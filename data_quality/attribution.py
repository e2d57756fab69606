"""Attribution completeness: how much of the activity has no employee.

Unattributed rows still count in org totals (metrics.md), but a growing share
means the roster or the email matching broke, and per-team figures silently
shrink. The share is judged over the whole history and over a trailing window,
because a burst in the newest days is diluted by months of history.
"""

from __future__ import annotations

import pandas as pd

from data_quality.config import DQConfig
from data_quality.core import Connection, Outcome, Scope, fmt, frame, number, records
from data_quality.expectations import expectation, is_true, validate


def _shares(con: Connection, events_sql: str, window_days: int) -> pd.DataFrame:
    """Total and unattributed weight of `events_sql` (day, weight, unattributed),
    over all history and over the `window_days` ending on its newest day."""
    return frame(
        con,
        f"""
        WITH events AS ({events_sql}),
        newest AS (SELECT max(day) AS day FROM events)
        SELECT 'all history' AS period, min(events.day) AS first_day, max(events.day) AS last_day,
               coalesce(sum(weight), 0) AS total,
               coalesce(sum(weight) FILTER (WHERE unattributed), 0) AS unattributed
        FROM events
        UNION ALL
        SELECT 'last {window_days} days', min(events.day), max(events.day),
               coalesce(sum(weight), 0), coalesce(sum(weight) FILTER (WHERE unattributed), 0)
        FROM events CROSS JOIN newest
        WHERE events.day > newest.day - {int(window_days)}
        """,
    )


def _judge(shares: pd.DataFrame, threshold: float, min_window_total: float, what: str) -> Outcome:
    shares = shares.copy()
    shares["total"] = shares.total.astype(float)
    shares["unattributed"] = shares.unattributed.astype(float)
    shares["share"] = shares.unattributed / shares.total.where(shares.total > 0)
    is_window = shares.period != "all history"
    shares["judged"] = (shares.total > 0) & (~is_window | (shares.total >= min_window_total))
    verdicts = validate(
        shares,
        [
            expectation(
                "share_under_threshold",
                "ExpectColumnValuesToBeBetween",
                column="share",
                min_value=0,
                max_value=threshold,
                row_condition=is_true("judged"),
            )
        ],
    )
    judged = shares[shares.judged]
    observed = number(judged.share.max()) if len(judged) else None
    parts = []
    for r in shares.itertuples():
        note = "" if r.judged else " (not judged: too little activity)"
        parts.append(f"{r.period}: {fmt(r.unattributed)} of {fmt(r.total)} = {fmt(r.share)}{note}")
    return Outcome.from_verdicts(
        verdicts,
        observed=observed,
        threshold=threshold,
        summary=f"unattributed share of {what}: " + "; ".join(parts),
        figures={"periods": records(shares)},
    )


def unattributed_tokens(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    shares = _shares(
        con,
        "SELECT usage_date AS day, total_tokens AS weight, employee_id IS NULL AS unattributed "
        "FROM marts.fct_token_usage_daily",
        config.attribution_window_days,
    )
    return _judge(shares, config.max_unattributed_token_share, 1, "tokens")


def unattributed_deployments(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    shares = _shares(
        con,
        "SELECT delivered_date AS day, 1 AS weight, employee_id IS NULL AS unattributed "
        "FROM marts.fct_normalized_deployments WHERE is_normalized",
        config.attribution_window_days,
    )
    return _judge(
        shares,
        config.max_unattributed_deployment_share,
        config.attribution_min_window_deployments,
        "normalized deployments",
    )


IDENTITIES = "intermediate.int_employees__email_identities"


def emails_belong_to_one_employee(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    """An email the roster gives to two or more employee_ids is ambiguous: dbt
    attributes its events to nobody, and this check fails naming the employee
    ids (never the email, which is personal data) so HR can fix the roster."""
    shared = frame(
        con,
        f"""
        SELECT claimant_employee_ids AS employee_ids, first_snapshot_date, last_snapshot_date
        FROM {IDENTITIES} WHERE is_ambiguous ORDER BY claimant_employee_ids
        """,
    )
    verdicts = validate(
        shared, [expectation("no_shared_email", "ExpectTableRowCountToEqual", value=0)]
    )
    groups = "; ".join(shared.employee_ids)
    return Outcome.from_verdicts(
        verdicts,
        observed=len(shared),
        threshold=0,
        summary=(
            f"{len(shared)} roster emails are each given to several employees "
            f"(their events are unattributed): employee ids {groups}"
            if len(shared)
            else "every roster email belongs to one employee"
        ),
        figures={"shared_by": records(shared)},
    )
