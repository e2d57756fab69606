"""The generated organisation's 1-hour cache writes and the vendor's cost report,
read back from the files and recomputed independently of the generator."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from decimal import Decimal

import pytest

from sample_data import organisation as cfg
from sample_data.provider_costs import VENDOR_ONLY_PRICES
from tests.unit.test_generator import Landing, generated, parse_time

# one worker runs the module, so the module-wide `landing` is made once
pytestmark = pytest.mark.xdist_group("generator_provider_costs")

TYPES = ("input", "output", "cache_write", "cache_write_1h", "cache_read")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Landing:
    return generated(tmp_path_factory.mktemp("costs") / "landing", employees=80, days=40,
                     seed=5, requests_per_dev_day=6.0, bad_rate=0.02)  # fmt: skip


def prices(landing: Landing) -> list[dict]:
    return list(csv.DictReader(io.StringIO(landing.files["reference/price_book.csv"].decode())))


def test_agent_clients_split_cache_writes_and_the_splits_add_up(landing):
    split = [r for _, r in landing.usage if r["usage"].get("cache_creation") is not None]
    assert split and {r["client"] for r in split} == {cfg.CLIENTS[i] for i in cfg.AGENT_CLIENTS}
    for record in split:
        parts = record["usage"]["cache_creation"]
        total = parts["ephemeral_5m_input_tokens"] + parts["ephemeral_1h_input_tokens"]
        assert total == record["usage"]["cache_creation_input_tokens"]
    assert sum(r["usage"]["cache_creation"]["ephemeral_1h_input_tokens"] for r in split) > 0


def test_every_5_minute_price_has_a_1_hour_price_at_twice_input(landing):
    rows = prices(landing)
    by_key = {(r["model"], r["token_type"], r["effective_from"]): r for r in rows}
    five = [r for r in rows if r["token_type"] == "cache_write"]
    assert five
    for row in five:
        one_hour = by_key[(row["model"], "cache_write_1h", row["effective_from"])]
        base = by_key[(row["model"], "input", row["effective_from"])]
        assert Decimal(one_hour["usd_per_mtok"]) == 2 * Decimal(base["usd_per_mtok"])
        assert one_hour["effective_to"] == row["effective_to"]


def invoiced_cells(landing: Landing) -> dict[tuple[str, str], Decimal]:
    """Σ token amounts / 100 per (day, model), last file in path order per bucket × key."""
    latest = {}
    pages = sorted(p for p in landing.files if p.startswith("reference/provider_costs/"))
    for path in pages:
        for bucket in json.loads(landing.files[path])["data"]:
            for result in bucket["results"]:
                key = (bucket["starting_at"], result["description"], result["service_tier"])
                latest[key] = result
    cells: dict = defaultdict(Decimal)
    for (starting_at, _, _), result in latest.items():
        if result["cost_type"] == "tokens":
            cells[(starting_at[:10], result["model"])] += Decimal(result["amount"]) / 100
    return cells


def recomputed_cells(landing: Landing) -> dict[tuple[str, str], Decimal]:
    """What the requests that can be read back cost, at the price book's rates."""
    book = prices(landing)
    cells: dict = defaultdict(Decimal)
    for record in landing.deduplicated_usage().values():
        if record["status"] != "success":
            continue
        day = parse_time(record["timestamp"]).date()
        usage = record["usage"]
        one_hour = (usage.get("cache_creation") or {}).get("ephemeral_1h_input_tokens", 0)
        counts = (
            usage["input_tokens"],
            usage["output_tokens"],
            usage["cache_creation_input_tokens"] - one_hour,
            one_hour,
            usage["cache_read_input_tokens"],
        )
        cost = Decimal(0)
        for kind, count in zip(TYPES, counts, strict=True):
            if not count:
                continue
            price = next(
                (
                    Decimal(r["usd_per_mtok"])
                    for r in book
                    if r["model"] == record["model"]
                    and r["token_type"] == kind
                    and dt.date.fromisoformat(r["effective_from"]) <= day
                    and (not r["effective_to"] or day < dt.date.fromisoformat(r["effective_to"]))
                ),
                None,
            )
            if price is None:
                price = Decimal(VENDOR_ONLY_PRICES[record["model"]][kind])
            cost += count * price / 10**6
        cells[(day.isoformat(), record["model"])] += (
            cost / 2 if record["service_tier"] == "batch" else cost
        )
    return cells


def test_the_cost_report_bills_the_requests_except_the_planted_cells(landing):
    truth = landing.truth["provider_costs"]
    planted = {(p["date"], p["model"]): p for p in truth["planted_discrepancies"]}
    assert planted and all(model != cfg.UNPRICED_MODEL for _, model in planted)
    invoiced, recomputed = invoiced_cells(landing), recomputed_cells(landing)
    assert invoiced.keys() == recomputed.keys()
    for cell, amount in invoiced.items():
        if cell in planted:
            assert recomputed[cell] == Decimal(planted[cell]["estimated_usd"])
            assert amount == Decimal(planted[cell]["invoiced_usd"])
            assert abs(amount / recomputed[cell] - 1) >= Decimal("0.06")
        else:
            assert amount == recomputed[cell], cell


def test_a_corrected_page_follows_the_wrong_one_in_path_order(landing):
    redelivered = landing.truth["provider_costs"]["redelivered"]
    assert redelivered["first"] < redelivered["corrected"]
    day = redelivered["date"]

    def day_total(path):
        page = json.loads(landing.files[path])
        (bucket,) = [b for b in page["data"] if b["starting_at"].startswith(day)]
        return sum(Decimal(r["amount"]) for r in bucket["results"] if r["cost_type"] == "tokens")

    assert day_total(redelivered["first"]) == 2 * day_total(redelivered["corrected"])


def test_without_traps_the_report_bills_exactly_the_requests(tmp_path):
    clean = generated(tmp_path / "landing", employees=30, days=10, seed=2,
                      requests_per_dev_day=4.0, bad_rate=0.0)  # fmt: skip
    truth = clean.truth["provider_costs"]
    assert truth["planted_discrepancies"] == [] and truth["redelivered"] is None
    assert invoiced_cells(clean) == recomputed_cells(clean)
