"""Price book and contracts: effective-dated reference tables."""

from __future__ import annotations

from sample_data import organisation as cfg
from sample_data.provider_costs import one_hour_price_rows
from sample_data.storage import Landing
from sample_data.workdays import Period

PRICE_BOOK_PATH = "reference/price_book.csv"
CONTRACTS_PATH = "reference/contracts.csv"


def price_book_rows(period: Period) -> list[tuple[str, str, str, str, str]]:
    """One model's prices drop mid-period; one model has no cache prices at all,
    so its cached requests come out unpriced."""
    opens = period.reference_start.isoformat()
    change = period.date(period.price_change_day).isoformat()
    rows = []
    for model, prices in cfg.PRICES.items():
        for token_type, price in zip(cfg.TOKEN_TYPES, prices, strict=True):
            if price is None:
                continue
            if model == cfg.PRICE_CHANGE_MODEL:
                rows.append((model, token_type, f"{price:.2f}", opens, change))
                rows.append(
                    (model, token_type, f"{price * cfg.PRICE_CHANGE_FACTOR:.2f}", change, "")
                )
            else:
                rows.append((model, token_type, f"{price:.2f}", opens, ""))
    return rows + one_hour_price_rows(rows)


def contract_rows(period: Period) -> list[tuple[str, str, str, str, str]]:
    switch = period.date(period.contract_switch_day).isoformat()
    return [
        (
            f"seats-{period.reference_start.year}",
            "flat_rate",
            f"{cfg.SEAT_USD_PER_MONTH:.2f}",
            period.reference_start.isoformat(),
            switch,
        ),
        (f"tokens-{switch[:7]}", "per_token", "", switch, ""),
    ]


def _csv(header: str, rows) -> bytes:
    return ("\n".join([header, *(",".join(row) for row in rows)]) + "\n").encode()


def write_reference(landing: Landing, period: Period) -> dict:
    landing.write(
        PRICE_BOOK_PATH,
        _csv("model,token_type,usd_per_mtok,effective_from,effective_to", price_book_rows(period)),
    )
    landing.write(
        CONTRACTS_PATH,
        _csv(
            "contract_id,pricing_model,seat_usd_per_month,effective_from,effective_to",
            contract_rows(period),
        ),
    )
    missing = [
        t for t, p in zip(cfg.TOKEN_TYPES, cfg.PRICES[cfg.UNPRICED_MODEL], strict=True) if p is None
    ]
    return {
        "price_change": {
            "model": cfg.PRICE_CHANGE_MODEL,
            "date": period.date(period.price_change_day).isoformat(),
        },
        "unpriced_model": {"model": cfg.UNPRICED_MODEL, "token_types_without_price": missing},
        "contract_switch_date": period.date(period.contract_switch_day).isoformat(),
    }
