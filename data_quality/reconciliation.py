"""The warehouse's estimate against the provider's own cost report.

metrics.md, "Provider bills": a complete month outside tolerance is blocking,
a day outside is a warning. Which cells are outside (and which months are
complete and fully priced) is decided once, in the dbt models
cost_reconciliation_daily / _monthly; these checks only count their verdicts.
"""

from __future__ import annotations

from data_quality.config import DQConfig
from data_quality.core import (
    Connection,
    Outcome,
    Scope,
    fmt,
    frame,
    records,
    relation_exists,
)
from data_quality.expectations import validate_one

DAILY = "marts.cost_reconciliation_daily"
MONTHLY = "marts.cost_reconciliation_monthly"


def _cells_outside_tolerance(
    con: Connection,
    relation: str,
    *,
    period: str,
    columns: str,
    flag: str,
    where: str,
    what: str,
) -> Outcome:
    """The cells (period × provider × model) of `relation` that `where`
    selects, judged by the model's own verdict: the boolean column `flag`,
    defined among `columns`, must be false in every one."""
    if not relation_exists(con, relation):
        return Outcome(True, 0, 0, f"{relation} is not built: nothing to reconcile")
    rows = frame(
        con,
        f"SELECT CAST({period} AS VARCHAR) AS period, provider, model, estimated_cost_usd, "
        f"invoiced_cost_usd, relative_difference, {columns} "
        f"FROM {relation} WHERE {where} ORDER BY {period}, provider, model",
    )
    verdicts, bad = validate_one(
        rows, f"no_{flag}", "ExpectColumnValuesToBeInSet", column=flag, value_set=[False]
    )
    listed = ", ".join(
        f"{r.period} {r.model} (estimated {fmt(r.estimated_cost_usd)}, invoiced "
        f"{fmt(float(r.invoiced_cost_usd))})"
        for r in bad.head(10).itertuples()
    )
    return Outcome.from_verdicts(
        verdicts,
        observed=len(bad),
        threshold=0,
        summary=f"{len(bad)} of {len(rows)} {what} outside tolerance"
        + (f": {listed}" if listed else ""),
        figures={"outside": records(bad)},
    )


def complete_months_within_tolerance(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    return _cells_outside_tolerance(
        con,
        MONTHLY,
        period="month",
        columns="coalesce(blocks_publish, false) AS blocks_publish",
        flag="blocks_publish",
        where="is_complete_month",
        what="complete, fully priced provider-months",
    )


def days_within_tolerance(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    return _cells_outside_tolerance(
        con,
        DAILY,
        period="cost_date",
        columns="is_unpriced, NOT within_tolerance AS outside_tolerance",
        flag="outside_tolerance",
        where="is_invoiced",
        what="invoiced provider-days × models",
    )
