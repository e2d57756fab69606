"""An independent check of list cost: LiteLLM's own cost calculator, fed a
model price map equal to our price book, prices the same Anthropic usage
objects (1-hour cache writes included) as the warehouse does per request.

LiteLLM is not a project dependency: it is installed for this test only, in a
throw-away environment (`uv run --with litellm==PINNED`), and uses its local
model map (LITELLM_LOCAL_MODEL_COST_MAP=True) plus the prices registered here.
The test skips, saying why, when the package index cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import REPO_ROOT
from tests.dbt._dbt import extract_landing, run_dbt_ok
from tests.landing_builder import usage_record, write_text, write_usage

pytestmark = [pytest.mark.slow]

LITELLM = "litellm==1.80.11"
SCRIPT = Path(__file__).parent / "litellm" / "cost_of_usage.py"
DAY = "2026-04-07"
PRICES = {
    "claude-sonnet-4-5": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_write_1h": 6.0,
                          "cache_read": 0.3},
    "claude-opus-4-1": {"input": 15.0, "output": 75.0, "cache_write": 18.75,
                        "cache_write_1h": 30.0, "cache_read": 1.5},
}  # fmt: skip
# (model, tier, input, output, cache writes, of which 1-hour (None: no split), cache reads)
REQUESTS = [
    ("claude-sonnet-4-5", "standard", 1000, 200, 1500, 1000, 4000),
    ("claude-sonnet-4-5", "standard", 1000, 200, 1500, None, 4000),
    ("claude-sonnet-4-5", "standard", 3, 7, 11, 11, 0),
    ("claude-sonnet-4-5", "batch", 52_000, 1_300, 90_000, 30_000, 800_000),
    ("claude-opus-4-1", "standard", 7_777, 333, 123_457, 100_000, 9_999_999),
    ("claude-opus-4-1", "batch", 1, 1, 2, 1, 1),
    ("claude-opus-4-1", "standard", 250_000, 64_000, 0, 0, 0),
]


def anthropic_usage(inp, out, writes, one_hour, reads) -> dict:
    usage = {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": writes,
        "cache_read_input_tokens": reads,
    }
    if one_hour is not None:
        usage["cache_creation"] = {
            "ephemeral_5m_input_tokens": writes - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        }
    return usage


def litellm_costs(tmp_path: Path) -> tuple[str, list[float]]:
    uv = shutil.which("uv") or str(REPO_ROOT / ".tools" / "bin" / "uv")
    case = tmp_path / "case.json"
    case.write_text(
        json.dumps(
            {
                "prices": PRICES,
                "requests": [
                    {"model": model, "usage": anthropic_usage(*counts)}
                    for model, _, *counts in REQUESTS
                ],
            }
        )
    )
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [uv, "run", "--no-project", "--quiet", "--with", LITELLM, "python", str(SCRIPT), str(case)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        unreachable = ("Failed to fetch", "dns error", "Could not connect", "network", "offline")
        if any(word.lower() in done.stderr.lower() for word in unreachable):
            print(f"skipped: cannot install {LITELLM}: {done.stderr.strip()[-300:]}")
            pytest.skip(f"the package index is unreachable, cannot install {LITELLM}")
        raise AssertionError(done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["version"], result["costs"]


def warehouse_costs(tmp_path: Path) -> list[float]:
    root, db = tmp_path / "landing", tmp_path / "work.duckdb"
    book = ["model,token_type,usd_per_mtok,effective_from,effective_to"]
    book += [f"{m},{t},{p},2026-01-01," for m, prices in PRICES.items() for t, p in prices.items()]
    write_text(root, "reference/price_book.csv", "\n".join(book) + "\n")
    lines = [
        # one caller per request, so each priced row is one request
        usage_record(f"r{i}", user_email=f"caller{i}@example.com", model=model,
                     service_tier=tier, usage=anthropic_usage(*counts))
        for i, (model, tier, *counts) in enumerate(REQUESTS)
    ]  # fmt: skip
    write_usage(root, DAY, "gw-0.jsonl.gz", lines)
    extract_landing(root, db)
    window = ["--event-time-start", DAY, "--event-time-end", "2026-04-08"]
    run_dbt_ok(["run", "--select", "+int_usage__daily_priced", *window], tmp_path, db)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = dict(
            con.execute(
                "SELECT identity_value, list_cost_usd FROM intermediate.int_usage__daily_priced"
            ).fetchall()
        )
    return [rows[f"caller{i}@example.com"] for i in range(len(REQUESTS))]


def test_list_cost_per_request_equals_litellms_cost_calculator(tmp_path):
    version, theirs = litellm_costs(tmp_path)
    ours = warehouse_costs(tmp_path)
    for (model, tier, *counts), mine, litellm_cost in zip(REQUESTS, ours, theirs, strict=True):
        # The batch discount is the contract's (50 %), applied on top of list price.
        expected = litellm_cost * (0.5 if tier == "batch" else 1.0)
        assert mine == pytest.approx(expected, rel=1e-12, abs=1e-15), (version, model, tier, counts)
    # the 1-hour split matters: the same tokens without it cost less
    assert theirs[0] > theirs[1] and ours[0] > ours[1]
