"""1-hour cache writes and the vendor's cost report for the generated organisation.

Agent clients (Claude Code-like `cli_agent`, `meshclaw`) write 1-hour caches:
their lines carry Anthropic's `usage.cache_creation` split, and the price book
gets a `cache_write_1h` row (2 × input, as Anthropic prices it) next to each
5-minute one.

The vendor bills what it served. Its cost report (pages of the Anthropic Admin
API cost report, one per calendar month, under reference/provider_costs/) is
computed here from the requests in exact decimals, independently of the
warehouse: each day's (model, tier, token type) sums × the day's price. The
report bills the requests a reader of the landing zone can see (a truncated
file's lines are lost before the report is written), and the model that has no
cache prices in the price book at the vendor's own rates, so its cells come
out unpriced in the warehouse. On top, some (day, model) cells are planted off
by 6-15 % and recorded in `_truth.json`; one page is first delivered wrong and
re-delivered corrected (the later file in path order wins).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal

import numpy as np

from sample_data import organisation as cfg
from sample_data.randomness import stream
from sample_data.storage import Landing
from sample_data.workdays import Period

PROVIDER_COSTS = 1001  # random-stream purpose, apart from the shared ones
FOLDER = "reference/provider_costs/anthropic"
ONE_HOUR_FACTOR = Decimal(2)  # × input price
# Share of an agent request's cache writes that are 1-hour writes, by seq % 4.
ONE_HOUR_SHARES = np.array([0.5, 0.7, 0.9, 1.0])
# What the vendor charges where our price book has no row (cfg.UNPRICED_MODEL).
VENDOR_ONLY_PRICES = {
    cfg.UNPRICED_MODEL: {"cache_write": "1.00", "cache_write_1h": "1.60", "cache_read": "0.08"}
}
# Our token types (columns of invoice_tokens) and the vendor's names for them.
TOKEN_TYPES = ("input", "output", "cache_write", "cache_write_1h", "cache_read")
VENDOR_TOKEN_TYPES = (
    "uncached_input_tokens",
    "output_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
    "cache_read_input_tokens",
)
TIERS = ("standard", "batch")
PLANTED_SHARE_OF_DAYS = 0.05
PLANTED_RANGE = (0.06, 0.15)
WEB_SEARCH_CENTS = "250"  # billed on Mondays, reported apart from tokens


# --- 1-hour cache writes ------------------------------------------------------------


def one_hour_tokens(client: np.ndarray, seq: np.ndarray, cache_write: np.ndarray) -> np.ndarray:
    """1-hour writes among each request's cache writes: agent clients only.
    A function of the request itself, so copies and re-sends agree."""
    agent = np.isin(client, cfg.AGENT_CLIENTS)
    share = ONE_HOUR_SHARES[seq % len(ONE_HOUR_SHARES)]
    return np.where(agent, np.floor(cache_write * share), 0).astype(np.int64)


def one_hour_price_rows(rows: list[tuple[str, str, str, str, str]]) -> list[tuple]:
    """A cache_write_1h row beside every cache_write row, at 2 × that period's input."""
    inputs = {(m, f, t): p for m, kind, p, f, t in rows if kind == "input"}
    return [
        (m, "cache_write_1h", f"{Decimal(inputs[(m, f, t)]) * ONE_HOUR_FACTOR:.2f}", f, t)
        for m, kind, _, f, t in rows
        if kind == "cache_write"
    ]


# --- what the vendor bills ----------------------------------------------------------


def invoice_tokens(records, billed: np.ndarray, tokens: np.ndarray, one_hour: bool = True) -> dict:
    """Σ billed tokens per (model, tier), as five token types (1-hour writes
    split from the 5-minute ones): {(model, tier): [input, output, 5m, 1h, read]}.
    `one_hour=False`: the requests wrote 5-minute caches only."""
    rows = np.flatnonzero(billed)
    if not len(rows):
        return {}
    t = tokens[rows]
    if one_hour:
        one_hour_writes = one_hour_tokens(records.client[rows], records.seq[rows], t[:, 2])
    else:
        one_hour_writes = np.zeros(len(rows), np.int64)
    split = np.column_stack([t[:, 0], t[:, 1], t[:, 2] - one_hour_writes, one_hour_writes, t[:, 3]])
    key = records.model[rows].astype(np.int64) * 2 + records.tier[rows]
    sums = {}
    for k in np.unique(key).tolist():
        sums[(int(k) // 2, int(k) % 2)] = [int(x) for x in split[key == k].sum(axis=0)]
    return sums


def _prices_on(price_rows, day: dt.date) -> dict[tuple[str, str], Decimal]:
    prices = {}
    for model, kind, price, start, end in price_rows:
        if dt.date.fromisoformat(start) <= day and (not end or day < dt.date.fromisoformat(end)):
            prices[(model, kind)] = Decimal(price)
    for model, extra in VENDOR_ONLY_PRICES.items():
        for kind, price in extra.items():
            prices.setdefault((model, kind), Decimal(price))
    return prices


def _cents(tokens: int, price: Decimal, tier: int) -> Decimal:
    value = Decimal(tokens) * price / 10_000  # × 100 cents / 1e6 tokens
    return value / 2 if tier == 1 else value


def token_result(
    model: str,
    token_type: str,
    amount: str,
    service_tier: str = "standard",
    inference_geo: str | None = None,
) -> dict:
    """One token line of a cost-report bucket, in the Admin API's layout."""
    return {
        "currency": "USD",
        "amount": amount,
        "workspace_id": None,
        "description": f"{model} Usage - {token_type}",
        "cost_type": "tokens",
        "context_window": "0-200k",
        "model": model,
        "service_tier": service_tier,
        "token_type": token_type,
        "inference_geo": inference_geo,
    }


def web_search_result(amount: str) -> dict:
    """The web-search line of a bucket, reported apart from tokens."""
    return {
        "currency": "USD",
        "amount": amount,
        "workspace_id": None,
        "description": "Web Search Usage",
        "cost_type": "web_search",
        "context_window": None,
        "model": None,
        "service_tier": None,
        "token_type": None,
        "inference_geo": None,
    }


def bucket(day: dt.date, results: list[dict]) -> dict:
    """A daily bucket: the UTC day it covers and its result lines."""
    start = dt.datetime.combine(day, dt.time())
    return {
        "starting_at": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "ending_at": f"{start + dt.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        "results": results,
    }


def page(buckets: list[dict]) -> dict:
    """A whole cost-report page (the last one: nothing more to fetch)."""
    return {"data": buckets, "has_more": False, "next_page": None}


def _result(model: str, tier: int, kind: int, cents: Decimal) -> dict:
    return token_result(
        model, VENDOR_TOKEN_TYPES[kind], f"{cents.normalize():f}", TIERS[tier], "not_available"
    )


def _plant(seed: int, cells: dict) -> dict[tuple[dt.date, str], Decimal]:
    """(day, model) -> factor for a few priced cells, at most one per model-month."""
    rng = stream(seed, PROVIDER_COSTS)
    candidates = sorted(
        (day, model)
        for (day, model), total in cells.items()
        if model != cfg.UNPRICED_MODEL and total > 0
    )
    wanted = max(1, round(PLANTED_SHARE_OF_DAYS * len({day for day, _ in candidates})))
    planted: dict[tuple[dt.date, str], Decimal] = {}
    used = set()
    for i in rng.permutation(len(candidates)).tolist():
        day, model = candidates[i]
        if (day.year, day.month, model) in used or len(planted) == wanted:
            continue
        size = Decimal(f"{rng.uniform(*PLANTED_RANGE):.2f}")
        sign = 1 if rng.random() < 0.5 else -1
        planted[(day, model)] = 1 + sign * size
        used.add((day.year, day.month, model))
    return planted


def write_cost_report(
    landing: Landing, seed: int, period: Period, price_rows, daily_tokens: dict, traps: bool
) -> dict:
    """Write the monthly pages; return the truth about them.

    `daily_tokens`: {day index: invoice_tokens(...) of that event day}. With
    `traps` off (bad_rate 0) nothing is planted and no page is re-delivered.
    """
    results: dict[dt.date, list[dict]] = defaultdict(list)
    cells: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for day_index in range(period.days):
        day = period.date(day_index)
        prices = _prices_on(price_rows, day)
        for (model_index, tier), sums in sorted(daily_tokens.get(day_index, {}).items()):
            model = cfg.MODELS[model_index]
            for kind, count in enumerate(sums):
                if count:
                    cents = _cents(count, prices[(model, TOKEN_TYPES[kind])], tier)
                    results[day].append(_result(model, tier, kind, cents))
                    cells[(day, model)] += cents
    planted = _plant(seed, cells) if traps else {}
    for (day, model), factor in planted.items():
        # the vendor's error sits on the cell's largest line
        lines = [r for r in results[day] if r["model"] == model]
        largest = max(lines, key=lambda r: Decimal(r["amount"]))
        change = cells[(day, model)] * (factor - 1)
        largest["amount"] = f"{(Decimal(largest['amount']) + change).normalize():f}"
    for day in results:
        if day.weekday() == 0:
            results[day].append(web_search_result(WEB_SEARCH_CENTS))

    days = [period.date(i) for i in range(period.days)]
    months = sorted({(d.year, d.month) for d in days})
    pages = []
    for year, month in months:
        month_days = [d for d in days if (d.year, d.month) == (year, month)]
        buckets = [bucket(d, results.get(d, [])) for d in month_days]
        path = f"{FOLDER}/cost_report_{year:04d}-{month:02d}.json"
        pages.append(path)
        _write_page(landing, path, buckets)
    redelivered = _redeliver_one_day(landing, days, results, months) if traps else None
    return {
        "pages": pages,
        "redelivered": redelivered,
        "complete_months": [
            f"{y:04d}-{m:02d}"
            for y, m in months
            if sum(1 for d in days if (d.year, d.month) == (y, m)) == calendar.monthrange(y, m)[1]
        ],
        "planted_discrepancies": [
            {
                "date": day.isoformat(),
                "model": model,
                "estimated_usd": str(cells[(day, model)] / 100),
                "invoiced_usd": str(cells[(day, model)] * factor / 100),
            }
            for (day, model), factor in sorted(planted.items())
        ],
        "unpriced_model": cfg.UNPRICED_MODEL,
        "web_search_usd": str(
            sum(Decimal(WEB_SEARCH_CENTS) for d in results if d.weekday() == 0) / 100
        ),
    }


def _write_page(landing: Landing, path: str, buckets: list[dict]) -> None:
    landing.write(path, (json.dumps(page(buckets), indent=1) + "\n").encode())


def _redeliver_one_day(landing: Landing, days, results, months) -> dict | None:
    """The first month's page is re-sent: its first day with spend had gone out
    at double the amounts; the corrected page (later in path order) fixes it."""
    year, month = months[0]
    spent = [d for d in days if (d.year, d.month) == (year, month) and results.get(d)]
    if not spent:
        return None
    day = spent[0]
    first = f"{FOLDER}/cost_report_{year:04d}-{month:02d}.json"
    doubled = [{**r, "amount": f"{(Decimal(r['amount']) * 2).normalize():f}"} for r in results[day]]
    month_days = [d for d in days if (d.year, d.month) == (year, month)]
    _write_page(
        landing,
        first,
        [bucket(d, doubled if d == day else results.get(d, [])) for d in month_days],
    )
    corrected = f"{FOLDER}/cost_report_{year:04d}-{month:02d}.r2.json"
    _write_page(landing, corrected, [bucket(day, results[day])])
    return {"date": day.isoformat(), "first": first, "corrected": corrected}
