"""End to end on a generated organisation: a backfill then daily incremental
runs equal one full run row for row, the quarantine matches what the generator planted, and
the planted tokenmaxxers are the ones flagged."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from orchestration.cli import main
from tests.dbt._dbt import pseudonym_key
from tests.duckdb_files import query
from tests.generated_org import generated_landing

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("generated_pipeline")]

BI_TABLES = (
    "marts.fct_token_usage_daily",
    "marts.fct_normalized_deployments",
    "marts.fct_ai_cost_daily",
    "marts.team_weekly_metrics",
    "marts.pricing_shift_monthly",
    "marts.ai_cohort_weekly",
    "restricted.developer_signals_daily",
    "audit.quarantined_records",
    "marts.cost_reconciliation_daily",
)


# the full run and the day-by-day one are compared
one_pseudonym_key = pseudonym_key("generated-pipeline-test-key")


@pytest.fixture(scope="module")
def generated(tmp_path_factory, one_pseudonym_key):
    root = tmp_path_factory.mktemp("generated")
    landing = root / "landing"
    truth = generated_landing(
        landing, employees=60, days=9, seed=5, requests_per_dev_day=6.0, bad_rate=0.02
    )
    full = root / "full" / "warehouse.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(full)]) == 0
    return landing, truth, full


def rows(warehouse, table):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
        order = ", ".join(str(i + 1) for i in range(len(columns)))
        return columns, con.execute(f"SELECT * FROM {table} ORDER BY {order}").fetchall()
    finally:
        con.close()


# A deployment starts with a backfill, then runs once a day. The daily runs
# here start on a Saturday: they cross the end of a week (Sunday, 2026-03-08)
# and each rebuilds the earlier days its late events touch.
BACKFILL_DAYS = 5


def test_daily_runs_after_a_backfill_equal_the_full_run(generated, tmp_path):
    landing, _, full = generated
    days = sorted(
        {
            dt.date.fromisoformat(p.name[3:])
            for source in ("usage", "deploys")
            for p in (landing / source).glob("dt=*")
        }
    )
    assert days[BACKFILL_DAYS].isoweekday() == 6, "the daily runs should start on a Saturday"
    incremental = tmp_path / "incremental" / "warehouse.duckdb"
    runs = [(days[0], days[BACKFILL_DAYS - 1])] + [(day, day) for day in days[BACKFILL_DAYS:]]
    for first, last in runs:
        code = main(
            [
                "run",
                "--landing",
                str(landing),
                "--warehouse",
                str(incremental),
                "--start",
                first.isoformat(),
                "--end",
                last.isoformat(),
            ]
        )
        assert code == 0, f"run of {first} .. {last} failed"
    for table in BI_TABLES:
        assert rows(incremental, table) == rows(full, table), f"{table} differs"


def test_quarantine_matches_what_was_planted(generated):
    _, truth, full = generated
    found = query(
        full, "SELECT source, reason, count(*) FROM audit.quarantined_records GROUP BY ALL"
    )
    planted = {
        (source, reason): count
        for source, reasons in truth["quarantine"].items()
        for reason, count in reasons.items()
        if count
    }
    assert planted, "the generator planted no traps"
    assert {(s, r): n for s, r, n in found} == planted


def test_planted_tokenmaxxers_are_flagged(generated):
    _, truth, full = generated
    suspects = {
        r[0]
        for r in query(
            full,
            "SELECT employee_id FROM restricted.developer_signals_daily "
            "WHERE is_tokenmaxxing_suspect AND signal_date = "
            "(SELECT max(signal_date) FROM restricted.developer_signals_daily)",
        )
    }
    tokenmaxxers = set(truth["tokenmaxxer_ids"])
    assert tokenmaxxers, json.dumps(truth.get("population"))
    # the subtle tokenmaxxers planted above the 10x line may join them (their
    # recall is measured in test_gaming_signals); nobody else may
    assert (
        tokenmaxxers
        <= suspects
        <= tokenmaxxers | set(truth["planted"]["subtle_tokenmaxxer_above_ids"])
    )


def test_planted_cost_report_discrepancies_are_the_cells_outside_tolerance(generated):
    _, truth, full = generated
    report = truth["provider_costs"]
    planted = {(p["date"], p["model"]) for p in report["planted_discrepancies"]}
    assert planted
    outside = query(
        full,
        "SELECT CAST(cost_date AS VARCHAR), model FROM marts.cost_reconciliation_daily "
        "WHERE NOT within_tolerance AND NOT is_unpriced",
    )
    # the page first sent at double amounts was replaced by its correction
    ((corrected,),) = query(
        full,
        "SELECT bool_and(within_tolerance OR is_unpriced) FROM marts.cost_reconciliation_daily "
        "WHERE cost_date = CAST(? AS DATE)",
        [report["redelivered"]["date"]],
    )
    assert set(outside) == planted
    assert corrected
