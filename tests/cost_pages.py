"""Anthropic Admin API cost-report pages for tests, in the API's own layout
(the generator's builders, sample_data.provider_costs)."""

from __future__ import annotations

import json
from pathlib import Path

from sample_data.provider_costs import FOLDER, bucket, page, token_result, web_search_result

__all__ = ["FOLDER", "bucket", "token_result", "web_search_result", "write_page"]


def write_page(root: Path, name: str, buckets: list[dict], *, raw: str | None = None) -> Path:
    path = root / FOLDER / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(raw if raw is not None else json.dumps(page(buckets), indent=2))
    return path
