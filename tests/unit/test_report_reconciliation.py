"""The demo headline's estimated-vs-invoiced row, worded from marts.org_headline
(which month and which models it covers is the dbt model's rule, unit-tested
in dbt_project/models/marts/_marts__unit_tests.yml)."""

import duckdb

from orchestration.report import _reconciliation

COLUMNS = (
    "reconciliation_month, reconciliation_providers, reconciliation_estimated_cost_usd, "
    "reconciliation_invoiced_cost_usd, reconciliation_relative_difference, "
    "reconciliation_models_outside_tolerance, reconciliation_models, is_reconciliation_unpriced"
)


def _headline(con, values: str) -> None:
    con.execute("CREATE OR REPLACE TABLE marts.org_headline AS SELECT * FROM (VALUES " + values)


def test_latest_complete_month_is_compared_and_missing_table_gives_no_row():
    con = duckdb.connect()
    assert _reconciliation(con) is None
    con.execute("CREATE SCHEMA marts")
    _headline(
        con,
        "(DATE '2026-02-01', 'anthropic', 100.0::DOUBLE, 110.0::DOUBLE, "
        f"(110.0 - 100.0) / 110.0, 0, 2, false)) t({COLUMNS})",
    )
    label, value = _reconciliation(con)
    assert label == "Estimated vs invoiced (anthropic, 2026-02)"
    assert value == "$100.00 vs $110.00 (+9.09%; within tolerance)"


def test_outside_tolerance_and_unpriced_are_said_and_no_complete_month_gives_no_row():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    _headline(
        con,
        "(DATE '2026-02-01', 'anthropic, openai', 150.0::DOUBLE, 0.0::DOUBLE, "
        f"NULL::DOUBLE, 1, 3, true)) t({COLUMNS})",
    )
    label, value = _reconciliation(con)
    assert label == "Estimated vs invoiced (anthropic, openai, 2026-02)"
    assert value == "$150.00 vs $0.00 (n/a; 1 of 3 models outside tolerance; some usage unpriced)"
    _headline(
        con,
        f"(NULL::DATE, NULL, NULL::DOUBLE, NULL::DOUBLE, NULL::DOUBLE, NULL, 0, NULL)) t({COLUMNS})",
    )
    assert _reconciliation(con) is None
