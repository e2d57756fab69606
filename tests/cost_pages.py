"""Anthropic Admin API cost-report pages for tests, in the API's own layout."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

FOLDER = "reference/provider_costs/anthropic"


def token_result(model: str, token_type: str, amount: str, service_tier: str = "standard") -> dict:
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
        "inference_geo": None,
    }


def web_search_result(amount: str) -> dict:
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
    start = dt.datetime.combine(day, dt.time())
    return {
        "starting_at": f"{start:%Y-%m-%dT%H:%M:%SZ}",
        "ending_at": f"{start + dt.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        "results": results,
    }


def write_page(root: Path, name: str, buckets: list[dict], *, raw: str | None = None) -> Path:
    path = root / FOLDER / name
    path.parent.mkdir(parents=True, exist_ok=True)
    page = {"data": buckets, "has_more": False, "next_page": None}
    path.write_text(raw if raw is not None else json.dumps(page, indent=2))
    return path
