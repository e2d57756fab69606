"""Headline figures, read from the serving file exactly as a BI tool would."""

from __future__ import annotations

from pathlib import Path

import duckdb

HEADLINE_TABLE = "marts.org_headline"
SUSPECTS_TABLE = "restricted.developer_signals_daily"
NORMALIZED_DEPLOYMENT = (
    "A normalized deployment is a change that reached production and was not rolled back "
    "within 7 days."
)

# Every figure, its period and the adoption target come from the dbt model
# marts.org_headline; this module only words them.
HEADLINE_COLUMNS = (
    "headline_week_start",
    "is_headline_week_provisional",
    "developers",
    "adoption_rate",
    "adoption_target",
    "is_adoption_target_met",
    "normalized_deployments_per_developer",
    "normalized_deployments",
    "tokens_per_normalized_deployment",
    "billed_cost_usd",
    "cost_per_normalized_deployment",
    "flat_rate_cost_usd",
    "per_token_cost_usd",
    "tokenmaxxing_suspects",
    "tokenmaxxing_suspects_ever",
    "first_covered_day",
    "last_covered_day",
    "signal_date",
    "change_splitting_suspects",
    "change_splitting_suspects_ever",
)
HEADLINE_SQL = f"SELECT {', '.join(HEADLINE_COLUMNS)} FROM {HEADLINE_TABLE}"

# The cohorts of the week marts.org_headline names (the latest whose seven days
# are all covered).
COHORT_SQL = f"""
SELECT c.week_start, c.org_name, c.cohort, c.developers, c.normalized_deployments_per_developer,
       c.cost_per_normalized_deployment, c.ai_assisted_share, c.is_suppressed
FROM marts.ai_cohort_weekly c JOIN {HEADLINE_TABLE} h ON c.week_start = h.cohort_week_start
ORDER BY c.org_name, c.cohort_rank
"""


# Estimated vs invoiced for the latest month the provider's report covers in
# full: marts.org_headline sums it from marts.cost_reconciliation_monthly, which
# decides what is complete and within tolerance.
RECONCILIATION_SQL = f"""
SELECT reconciliation_month, reconciliation_providers, reconciliation_estimated_cost_usd,
       reconciliation_invoiced_cost_usd, reconciliation_relative_difference,
       reconciliation_models_outside_tolerance, reconciliation_models, is_reconciliation_unpriced
FROM {HEADLINE_TABLE}
WHERE reconciliation_month IS NOT NULL
"""


# Usage by the tool it came through, whole period: marts.fct_ai_activity_daily
# decides what a request, an interaction and an active day are; this only adds
# its rows up per tool.
USAGE_BY_SOURCE_SQL = """
SELECT tool,
       sum(requests_or_interactions) AS requests_or_interactions,
       sum(billable_tokens) AS billable_tokens,
       count(DISTINCT employee_id) FILTER (WHERE active) AS active_developers,
       sum(billable_tokens) FILTER (WHERE employee_id IS NULL) AS unattributed_tokens
FROM marts.fct_ai_activity_daily
GROUP BY tool
ORDER BY tool
"""
SOURCE_TABLE = "marts.fct_ai_activity_daily"


def usage_by_source(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(tool, requests or interactions, billable tokens or None, active developers,
    unattributed billable tokens or None) per tool, from the activity fact."""
    return con.execute(USAGE_BY_SOURCE_SQL).fetchall() if _has_table(con, SOURCE_TABLE) else []


def _source_lines(sources: list[tuple]) -> list[str]:
    if not sources:
        return []
    lines = ["", "  Usage by source (whole period)"]
    for tool, events, tokens, active, unattributed in sources:
        if tokens is None:  # Copilot reports interactions, no tokens
            lines.append(
                f"    {tool:<12} {active:>6,} active developers  {events:>12,} interactions"
            )
        else:
            share = f"{(tokens - (unattributed or 0)) / tokens:.1%}" if tokens else "n/a"
            lines.append(
                f"    {tool:<12} {active:>6,} active developers  {events:>12,} requests  "
                f"{tokens:>16,} billable tokens ({share} attributed)"
            )
    return lines


def _reconciliation(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """The headline row comparing the estimate with the bill, when there is one."""
    exists = _has_table(con, HEADLINE_TABLE)
    row = con.execute(RECONCILIATION_SQL).fetchone() if exists else None
    if row is None:
        return None
    month, providers, estimated, invoiced, relative, outside, models, unpriced = row
    gap = "n/a" if relative is None else f"{relative:+.2%}"
    note = f"{outside} of {models} models outside tolerance" if outside else "within tolerance"
    if unpriced:
        note += "; some usage unpriced"
    return (
        f"Estimated vs invoiced ({providers}, {month:%Y-%m})",
        f"{_money(estimated)} vs {_money(invoiced)} ({gap}; {note})",
    )


def _money(value) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def _number(value, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
            "AND table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def headline_rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(label, value) pairs, each label naming the period its figure covers."""
    row = con.execute(HEADLINE_SQL).fetchone() if _has_table(con, HEADLINE_TABLE) else None
    if row is None:
        return []
    (
        week,
        provisional,
        developers,
        adoption,
        target,
        target_met,
        nd_per_dev,
        normalized,
        tokens_per_nd,
        billed,
        cost_per_nd,
        flat_rate,
        per_token,
        suspects_now,
        suspects_ever,
        first_day,
        last_day,
        signal_day,
        splitters_now,
        splitters_ever,
    ) = row
    this_week = f"week of {week}{', provisional' if provisional else ''}"
    period = f"whole period {first_day} .. {last_day}"
    rows = [
        (
            f"AI adoption ({this_week})",
            f"{_number(100 * adoption if adoption is not None else None, 1)} % of {developers} "
            f"developers (target {target:.0%}: {'met' if target_met else 'not met'})",
        ),
        (f"Normalized deployments per developer ({this_week})", _number(nd_per_dev)),
        (f"Normalized deployments ({period})", f"{normalized:,}"),
        ("Tokens per normalized deployment (whole period)", _number(tokens_per_nd, 0)),
        ("Billed cost per normalized deployment (whole period)", _money(cost_per_nd)),
        ("Billed cost (whole period)", _money(billed)),
        (
            "Flat-rate cost vs per-token cost (whole period)",
            f"{_money(flat_rate)} vs {_money(per_token)}",
        ),
        (
            f"Tokenmaxxing suspects (on {signal_day} / whole period)",
            f"{suspects_now} / {suspects_ever} (who: {SUSPECTS_TABLE})",
        ),
        (
            f"Change-splitting suspects (on {signal_day} / whole period)",
            f"{splitters_now} / {splitters_ever} (who: {SUSPECTS_TABLE})",
        ),
    ]
    reconciliation = _reconciliation(con)
    if reconciliation:
        rows.append(reconciliation)
    return rows


def headline(serving_path: Path) -> str:
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        rows = headline_rows(con)
        cohorts = con.execute(COHORT_SQL).fetchall() if rows else []
        sources = usage_by_source(con) if rows else []
    finally:
        con.close()
    if not rows:
        return "No weekly metrics yet: the landing zone holds no covered week."
    width = max(len(label) for label, _ in rows)
    lines = [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(
        [*lines, f"  {NORMALIZED_DEPLOYMENT}", *_source_lines(sources), *_cohort_lines(cohorts)]
    )


def _cohort_lines(cohorts: list[tuple]) -> list[str]:
    if not cohorts:
        return []
    header = ("org", "cohort", "developers", "deploys/dev", "cost/deploy", "AI-assisted")
    table = [header] + [
        (
            org or "(no org)",
            cohort,
            str(developers),
            "suppressed" if suppressed else _number(per_dev),
            "" if suppressed else _money(cost),
            "" if suppressed or share is None else f"{share:.0%}",
        )
        for _, org, cohort, developers, per_dev, cost, share, suppressed in cohorts
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    title = f"  Is AI worth it? Cohorts by tokens, week of {cohorts[0][0]} (light/moderate/heavy = tertiles)"
    return ["", title] + [
        "    " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in table
    ]
