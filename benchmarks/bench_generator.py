"""Throughput of the sample generator: `uv run python benchmarks/bench_generator.py`.

Generates about --records usage records (default 10 million; --small for ~200k)
into a temporary folder and prints records written, seconds, records/s and cores.
`--sources gateway,otel,litellm,copilot` measures a mix of formats; records are
then the requests of every request source plus the Claude Code events skipped.
The organisation size and period are fixed; requests per developer-day is solved
from the generator's own expected record count, so the target is met closely.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sample_data import generate_landing
from sample_data.population import build_population
from sample_data.usage_records import expected_request_count
from sample_data.workdays import Period

FULL_RECORDS = 10_000_000
SMALL_RECORDS = 200_000
START = dt.date(2026, 1, 5)
SEED = 7
BAD_RATE = 0.01


def shape_for(records: int) -> tuple[int, int]:
    """Employees and days: two working weeks of a 2,000-person company for big
    runs (about a million records a working day), a smaller one for small runs."""
    return (2_000, 14) if records >= 2_000_000 else (300, 14)


def requests_per_dev_day_for(records: int, employees: int, days: int) -> float:
    population = build_population(SEED, Period(START, days), employees)
    return records / expected_request_count(population, 1.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=int, default=FULL_RECORDS, help="usage records to aim for"
    )
    parser.add_argument("--small", action="store_true", help=f"aim for {SMALL_RECORDS:,} records")
    parser.add_argument("--workers", type=int, default=None, help="usage processes (default: auto)")
    parser.add_argument(
        "--keep", help="write here instead of a temporary folder (must be new or empty)"
    )
    parser.add_argument("--sources", default="gateway", help="as aiw generate --sources")
    args = parser.parse_args(argv)
    target = SMALL_RECORDS if args.small else args.records
    employees, days = shape_for(target)
    rpd = requests_per_dev_day_for(target, employees, days)
    with tempfile.TemporaryDirectory(prefix="aiw-bench-") as scratch:
        out = args.keep or os.path.join(scratch, "landing")
        began = time.perf_counter()
        truth = generate_landing(
            out=out,
            employees=employees,
            start=START,
            days=days,
            seed=SEED,
            requests_per_dev_day=rpd,
            bad_rate=BAD_RATE,
            progress=sys.stderr.isatty(),
            workers=args.workers,
            sources=args.sources,
        )
        seconds = time.perf_counter() - began
    records = truth["usage"]["lines_written"]
    by_source = truth["usage"].get("by_source", {})
    for tool in ("claude_code", "litellm"):
        records += by_source.get(tool, {}).get("records", 0)
    print(f"employees={employees} days={days} requests_per_dev_day={rpd:.1f} bad_rate={BAD_RATE}")
    print(f"sources: {args.sources}")
    print(f"records written: {records:,} (valid gateway lines {truth['valid_usage_lines']:,})")
    print(f"seconds:         {seconds:.1f}")
    print(f"records/s:       {records / seconds:,.0f}")
    requests = truth["usage"]["expected"]["requests"]
    print(f"requests/s:      {requests / seconds:,.0f} ({requests:,} requests, every source)")
    print(f"cores:           {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
