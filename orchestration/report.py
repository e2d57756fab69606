"""Headline figures, read from the serving file exactly as a BI tool would."""

from __future__ import annotations

from pathlib import Path

import duckdb

ADOPTION_TARGET = 0.80

HEADLINE_SQL = """
WITH weeks AS (
    SELECT week_start, sum(developers) AS developers, sum(ai_active_developers) AS active,
           sum(normalized_deployments) AS normalized, bool_or(is_provisional) AS provisional
    FROM marts.team_weekly_metrics GROUP BY week_start
), latest_final AS (
    SELECT * FROM weeks WHERE NOT provisional ORDER BY week_start DESC LIMIT 1
), latest_any AS (
    SELECT * FROM weeks ORDER BY week_start DESC LIMIT 1
), headline_week AS (
    SELECT * FROM latest_final UNION ALL SELECT * FROM latest_any WHERE NOT EXISTS (SELECT 1 FROM latest_final)
), totals AS (
    SELECT
        (SELECT sum(total_tokens) FROM marts.fct_token_usage_daily) AS tokens,
        (SELECT count(*) FILTER (WHERE is_normalized) FROM marts.fct_normalized_deployments) AS normalized,
        (SELECT sum(billed_cost_usd) FROM marts.fct_ai_cost_daily) AS billed,
        (SELECT sum(flat_rate_cost_usd) FROM marts.pricing_shift_monthly) AS flat_rate,
        (SELECT sum(per_token_cost_usd) FROM marts.pricing_shift_monthly) AS per_token,
        (SELECT count(DISTINCT employee_id) FROM restricted.developer_signals_daily
          WHERE is_tokenmaxxing_suspect
            AND signal_date = (SELECT max(signal_date) FROM restricted.developer_signals_daily)) AS suspects_now,
        (SELECT count(DISTINCT employee_id) FROM restricted.developer_signals_daily
          WHERE is_tokenmaxxing_suspect) AS suspects_ever
)
SELECT w.week_start, w.provisional, w.developers,
       w.active / nullif(w.developers, 0) AS adoption,
       w.normalized / nullif(w.developers, 0) AS normalized_per_developer,
       t.normalized, t.tokens / nullif(t.normalized, 0) AS tokens_per_normalized,
       t.billed, t.billed / nullif(t.normalized, 0) AS cost_per_normalized,
       t.flat_rate, t.per_token, t.suspects_now, t.suspects_ever
FROM headline_week w CROSS JOIN totals t
"""


def _money(value) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def _number(value, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def headline(serving_path: Path) -> str:
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        row = con.execute(HEADLINE_SQL).fetchone()
    finally:
        con.close()
    if row is None:
        return "No weekly metrics yet: the landing zone holds no covered week."
    (
        week,
        provisional,
        developers,
        adoption,
        nd_per_dev,
        normalized,
        tokens_per_nd,
        billed,
        cost_per_nd,
        flat_rate,
        per_token,
        suspects_now,
        suspects_ever,
    ) = row
    target_met = adoption is not None and adoption >= ADOPTION_TARGET
    rows = [
        (f"Week of {week}{' (provisional)' if provisional else ''}", ""),
        (
            "AI adoption (developers active this week)",
            f"{_number(100 * adoption if adoption is not None else None, 1)} % of {developers} "
            f"(target {ADOPTION_TARGET:.0%}: {'met' if target_met else 'not met'})",
        ),
        ("Normalized deployments per developer (week)", _number(nd_per_dev)),
        ("Normalized deployments (whole period)", f"{normalized:,}"),
        ("Tokens per normalized deployment", _number(tokens_per_nd, 0)),
        ("Billed cost per normalized deployment", _money(cost_per_nd)),
        ("Billed cost (whole period)", _money(billed)),
        (
            "Flat-rate cost vs per-token cost (whole period)",
            f"{_money(flat_rate)} vs {_money(per_token)}",
        ),
        ("Tokenmaxxing suspects (latest day / ever)", f"{suspects_now} / {suspects_ever}"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {value}" for label, value in rows)
