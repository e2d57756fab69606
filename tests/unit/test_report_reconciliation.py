"""The demo headline's estimated-vs-invoiced row: the latest complete month."""

import duckdb

from orchestration.report import _reconciliation


def test_latest_complete_month_is_compared_and_missing_table_gives_no_row():
    con = duckdb.connect()
    assert _reconciliation(con) is None
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.cost_reconciliation_monthly AS SELECT * FROM (VALUES "
        "(DATE '2026-02-01', 'anthropic', 'a', 90.0, 100.0::DECIMAL(38,14), true, true, false),"
        "(DATE '2026-02-01', 'anthropic', 'b', 10.0, 10.0::DECIMAL(38,14), true, true, false),"
        "(DATE '2026-03-01', 'anthropic', 'a', 5.0, 7.0::DECIMAL(38,14), false, false, false)"
        ") t(month, provider, model, estimated_cost_usd, invoiced_cost_usd, within_tolerance, "
        "is_complete_month, is_unpriced)"
    )
    label, value = _reconciliation(con)
    assert label == "Estimated vs invoiced (anthropic, 2026-02)"
    assert value == "$100.00 vs $110.00 (+9.09%; within tolerance)"
