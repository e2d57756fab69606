"""The warehouse's estimate against the provider's own cost report.

metrics.md, "Provider bills": a complete month outside tolerance is blocking,
a day outside is a warning. Which cells are outside (and which months are
complete and fully priced) is decided once, in the dbt models
cost_reconciliation_daily / _monthly; these checks only count their verdicts.
"""

from __future__ import annotations

import pandas as pd

from data_quality.config import DQConfig
from data_quality.core import (
    Connection,
    Outcome,
    Scope,
    all_passed,
    fmt,
    frame,
    records,
    relation_exists,
)
from data_quality.expectations import expectation, rejected, validate

DAILY = "marts.cost_reconciliation_daily"
MONTHLY = "marts.cost_reconciliation_monthly"


def _absent(relation: str) -> Outcome:
    return Outcome(True, 0, 0, f"{relation} is not built: nothing to reconcile")


def _judge(rows: pd.DataFrame, flag: str, what: str, total: int) -> Outcome:
    verdicts = validate(
        rows,
        [expectation(f"no_{flag}", "ExpectColumnValuesToBeInSet", column=flag, value_set=[False])],
    )
    bad = rejected(rows, verdicts, f"no_{flag}")
    listed = ", ".join(
        f"{r.period} {r.model} (estimated {fmt(r.estimated_cost_usd)}, invoiced "
        f"{fmt(float(r.invoiced_cost_usd))})"
        for r in bad.head(10).itertuples()
    )
    return Outcome(
        passed=all_passed(verdicts),
        observed=len(bad),
        threshold=0,
        summary=f"{len(bad)} of {total} {what} outside tolerance"
        + (f": {listed}" if listed else ""),
        figures={"outside": records(bad)},
        verdicts=tuple(verdicts.values()),
    )


def complete_months_within_tolerance(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    if not relation_exists(con, MONTHLY):
        return _absent(MONTHLY)
    rows = frame(
        con,
        f"SELECT CAST(month AS VARCHAR) AS period, provider, model, estimated_cost_usd, "
        f"invoiced_cost_usd, relative_difference, coalesce(blocks_publish, false) AS blocks_publish "
        f"FROM {MONTHLY} WHERE is_complete_month ORDER BY month, provider, model",
    )
    return _judge(rows, "blocks_publish", "complete, fully priced provider-months", len(rows))


def days_within_tolerance(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    if not relation_exists(con, DAILY):
        return _absent(DAILY)
    rows = frame(
        con,
        f"SELECT CAST(cost_date AS VARCHAR) AS period, provider, model, estimated_cost_usd, "
        f"invoiced_cost_usd, relative_difference, is_unpriced, "
        f"NOT within_tolerance AS outside_tolerance "
        f"FROM {DAILY} WHERE is_invoiced ORDER BY cost_date, provider, model",
    )
    return _judge(rows, "outside_tolerance", "invoiced provider-days × models", len(rows))
