"""Throughput of the LiteLLM spend-log extraction: print rows per second for a
synthetic gzip export whose `metadata` is a JSON object, then a JSON string.

    uv run python benchmarks/litellm_extraction.py [--rows 500000]

Rows are the hand-written fixture rows (tests/fixtures/sources/litellm/) with
new request ids and token counts, so each carries LiteLLM's full metadata.
A string `metadata` is parsed once more per row (unwrap_json_text); the
difference between the two figures is that cost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import tempfile
import time
from pathlib import Path

import duckdb

from orchestration.extract import LITELLM, load_partition
from orchestration.landing import LandingZone
from orchestration.settings import REPO_ROOT

FIXTURE = REPO_ROOT / "tests/fixtures/sources/litellm/dt=2026-04-07/spend_logs_2026-04-06.jsonl"
DAY = dt.date(2026, 4, 7)


def write_export(root: Path, rows: int, metadata_as_string: bool) -> Path:
    templates = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    for template in templates:
        metadata = template["metadata"]
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        template["metadata"] = json.dumps(metadata) if metadata_as_string else metadata
    path = root / "litellm" / f"dt={DAY}" / "spend_logs.jsonl.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", compresslevel=6) as out:
        for i in range(rows):
            row = dict(templates[i % len(templates)])
            row["request_id"] = f"chatcmpl-{i:012d}"
            row["startTime"] = (
                f"2026-04-06T{i % 24:02d}:{i % 60:02d}:{(i // 60) % 60:02d}.{i % 1000:03d}"
            )
            row["prompt_tokens"] = 20_000 + i % 5000
            out.write(json.dumps(row) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    print(f"LiteLLM spend-log extraction, {args.rows:,} rows in one gzip file")
    for label, as_string in (("metadata as object", False), ("metadata as string", True)):
        with tempfile.TemporaryDirectory() as scratch:
            root = Path(scratch)
            path = write_export(root / "landing", args.rows, as_string)
            con = duckdb.connect(str(root / "work.duckdb"))
            con.execute("SET TimeZone = 'UTC'")
            started = time.perf_counter()
            result = load_partition(con, LandingZone(str(root / "landing")), LITELLM, DAY)
            seconds = time.perf_counter() - started
            con.close()
            assert result.rows_loaded == args.rows, result.as_metadata()
            size = path.stat().st_size / 2**20
            print(
                f"  {label:<20} {seconds:6.2f} s  {args.rows / seconds:>10,.0f} rows/s  "
                f"({size:.0f} MiB gzip)"
            )


if __name__ == "__main__":
    main()
