"""Estimated vs invoiced: dbt builds cost_reconciliation_daily / _monthly from a
landing zone with usage and Anthropic cost-report pages.

The invoiced amounts are computed here, independently, in exact decimals, the
way the vendor bills: tokens × price per million, halved for batch, in cents.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from data_quality.checks import SPECS_BY_NAME
from data_quality.config import DQConfig
from data_quality.core import Scope
from orchestration.extract import PRICE_BOOK, load_provider_costs, load_reference
from orchestration.landing import LandingZone
from sample_data.provider_costs import TOKEN_TYPES, VENDOR_TOKEN_TYPES
from tests.cost_pages import bucket, token_result, web_search_result, write_page
from tests.dbt._dbt import extract_landing, run_dbt_ok
from tests.landing_builder import usage_record, write_text, write_usage

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_reconciliation")]

APRIL = [dt.date(2026, 4, 1) + dt.timedelta(days=i) for i in range(30)]
WINDOW = ["--event-time-start", "2026-04-01", "--event-time-end", "2026-05-01"]
SELECT = ["--select", "+cost_reconciliation_monthly"]

PRICES = {  # input, output, 5-minute write, 1-hour write, cache read
    "claude-sonnet-4-5": ("3.00", "15.00", "3.75", "6.00", "0.30"),
    "claude-haiku-4-5": ("1.00", "5.00", "1.25", "2.00", "0.10"),
}
# one request per model and day: (tier, input, output, 5-minute, 1-hour, cache read)
REQUESTS = {
    "claude-sonnet-4-5": ("standard", 1000, 200, 500, 1000, 4000),
    "claude-haiku-4-5": ("batch", 2000, 100, 200, 400, 0),
}
PLANTED = (dt.date(2026, 4, 7), "claude-sonnet-4-5")
CORRECTED_DAY = dt.date(2026, 4, 12)


def price_book(prices=PRICES) -> str:
    rows = ["model,token_type,usd_per_mtok,effective_from,effective_to"]
    for model, values in prices.items():
        rows += [f"{model},{t},{p},2026-01-01," for t, p in zip(TOKEN_TYPES, values, strict=True)]
    return "\n".join(rows) + "\n"


def vendor_results(model: str, factor: Decimal = Decimal(1)) -> list[dict]:
    tier, *tokens = REQUESTS[model]
    tier_factor = Decimal("0.5") if tier == "batch" else Decimal(1)
    results = []
    for kind, count, price in zip(VENDOR_TOKEN_TYPES, tokens, PRICES[model], strict=True):
        cents = Decimal(count) * Decimal(price) / 10**6 * 100 * tier_factor * factor
        results.append(token_result(model, kind, f"{cents:f}", service_tier=tier))
    return results


def cell_usd(model: str) -> Decimal:
    return sum(Decimal(r["amount"]) for r in vendor_results(model)) / 100


def build_landing(root):
    write_text(root, "reference/price_book.csv", price_book())
    write_text(
        root,
        "reference/contracts.csv",
        "contract_id,pricing_model,seat_usd_per_month,effective_from,effective_to\n"
        "c1,per_token,,2026-01-01,\n",
    )
    for day in APRIL:
        lines = []
        for model, (tier, inp, out, five, one, read) in REQUESTS.items():
            usage = {
                "input_tokens": inp,
                "output_tokens": out,
                "cache_creation_input_tokens": five + one,
                "cache_read_input_tokens": read,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": five,
                    "ephemeral_1h_input_tokens": one,
                },
            }
            lines.append(
                usage_record(
                    f"{model}-{day}",
                    timestamp=f"{day}T10:00:00Z",
                    model=model,
                    service_tier=tier,
                    client="cli_agent",
                    usage=usage,
                )
            )
        write_usage(root, day.isoformat(), "gw-0.jsonl.gz", lines)

    buckets = []
    for day in APRIL:
        results = []
        for model in REQUESTS:
            planted = (day, model) == PLANTED
            wrong = day == CORRECTED_DAY
            factor = Decimal("1.10") if planted else Decimal(3) if wrong else Decimal(1)
            results += vendor_results(model, factor)
        if day == APRIL[0]:
            results.append(web_search_result("1000"))  # reported apart, never reconciled
        buckets.append(bucket(day, results))
    write_page(root, "2026-04.json", buckets)
    # the vendor re-sends the page of one day with corrected amounts
    corrected = [r for model in REQUESTS for r in vendor_results(model)]
    write_page(root, "2026-04.r2.json", [bucket(CORRECTED_DAY, corrected)])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("reconciliation")
    root, db = work / "landing", work / "work.duckdb"
    build_landing(root)
    extract_landing(root, db)
    run_dbt_ok(["build", *SELECT, *WINDOW], work, db)
    return work, root, db


def daily(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT cost_date, model, estimated_cost_usd, invoiced_cost_usd, within_tolerance, "
            "price_book_version FROM marts.cost_reconciliation_daily ORDER BY cost_date, model"
        ).fetchall()


def test_planted_discrepancies_are_exactly_the_cells_outside_tolerance(built):
    _, _, db = built
    rows = daily(db)
    assert len(rows) == 2 * len(APRIL)
    outside = {(day, model) for day, model, _, _, within, _ in rows if not within}
    assert outside == {PLANTED}
    for day, model, estimated, invoiced, _, _ in rows:
        # invoiced is the report's DECIMAL amount, to the cent fraction
        expected = cell_usd(model) * (Decimal("1.10") if (day, model) == PLANTED else 1)
        assert invoiced == expected, (day, model)
        # the estimate prices 1-hour writes at their rate and batch at half on both kinds
        assert estimated == pytest.approx(float(cell_usd(model)), rel=1e-12)


def test_a_redelivered_corrected_page_replaces_the_earlier_one(built):
    _, _, db = built
    corrected = [r for r in daily(db) if r[0] == CORRECTED_DAY]
    assert [(r[1], r[3], r[4]) for r in corrected] == [
        ("claude-haiku-4-5", cell_usd("claude-haiku-4-5"), True),
        ("claude-sonnet-4-5", cell_usd("claude-sonnet-4-5"), True),
    ]


def test_complete_month_within_tolerance_passes_and_a_correction_reprices_and_blocks(built):
    work, root, db = built
    months = SPECS_BY_NAME["cost_reconciliation_months_within_tolerance"]
    days = SPECS_BY_NAME["cost_reconciliation_days_within_tolerance"]
    with duckdb.connect(str(db), read_only=True) as con:
        monthly = con.execute(
            "SELECT model, is_complete_month, within_tolerance, blocks_publish, "
            "days_outside_tolerance FROM marts.cost_reconciliation_monthly ORDER BY model"
        ).fetchall()
        assert monthly == [
            ("claude-haiku-4-5", True, True, False, 0),
            ("claude-sonnet-4-5", True, True, False, 1),
        ]
        assert months.evaluate(con, DQConfig(), Scope()).passed
        day_outcome = days.evaluate(con, DQConfig(), Scope())
        assert not day_outcome.passed and day_outcome.observed == 1
        assert days.default_severity == "WARN" and months.default_severity == "ERROR"
    before = {(r[0], r[1]): r[5] for r in daily(db)}

    # A price-book correction: sonnet's output was booked at 18 instead of 15.
    wrong = {**PRICES, "claude-sonnet-4-5": ("3.00", "18.00", "3.75", "6.00", "0.30")}
    write_text(root, "reference/price_book.csv", price_book(wrong))
    with duckdb.connect(str(db)) as con:
        load_reference(con, LandingZone(str(root)), PRICE_BOOK)
    # the models build; it is the blocking quality check that stops publishing
    run_dbt_ok(["build", *SELECT, *WINDOW], work, db)
    after = {(r[0], r[1]): r[5] for r in daily(db)}

    # every sonnet day was re-priced with the corrected rows, and says so
    for (day, model), version in after.items():
        changed = version != before[(day, model)]
        assert changed == (model == "claude-sonnet-4-5"), (day, model)
    with duckdb.connect(str(db), read_only=True) as con:
        blocked = con.execute(
            "SELECT model FROM marts.cost_reconciliation_monthly WHERE blocks_publish"
        ).fetchall()
        assert blocked == [("claude-sonnet-4-5",)]
        outcome = months.evaluate(con, DQConfig(), Scope())
        assert not outcome.passed and outcome.observed == 1
        assert "2026-04-01 claude-sonnet-4-5" in outcome.summary


def test_cents_become_dollars_exactly_over_a_million_rows(tmp_path):
    """One million results of 0.1 cent: exactly $1,000. A float sum drifts."""
    db = tmp_path / "work.duckdb"
    con = duckdb.connect(str(db))
    load_provider_costs(con, LandingZone(str(tmp_path)))  # creates the raw tables
    con.execute(
        "INSERT INTO raw.provider_cost_results SELECT 'anthropic', 'p.json', i, "
        "TIMESTAMP '2026-04-01', TIMESTAMP '2026-04-02', NULL, 'd' || i, 'tokens', NULL, "
        "'claude-sonnet-4-5', 'standard', 'output_tokens', NULL, 'USD', "
        "CAST('0.1' AS DECIMAL(38, 12)) FROM range(1000000) t(i)"
    )
    drifting = 0.0
    for _ in range(1_000_000):
        drifting += 0.1 / 100
    con.close()
    assert drifting != 1000.0  # what a float pipeline would report

    run_dbt_ok(
        ["run", "--select", "stg_provider_costs__cost_results int_provider_costs__invoiced_daily"],
        tmp_path,
        db,
    )
    with duckdb.connect(str(db), read_only=True) as con:
        (invoiced,) = con.execute(
            "SELECT invoiced_cost_usd FROM intermediate.int_provider_costs__invoiced_daily"
        ).fetchone()
    assert invoiced == Decimal("1000")
