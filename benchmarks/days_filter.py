"""How the usage model's day filter scales: print seconds to select the
requests of two days 40 days apart, three ways, on synthetic raw requests.

    uv run python benchmarks/days_filter.py [--requests 20000000]

The incremental usage model filters `requested_at` by one range per run of
queued days (macros/days_to_rebuild.sql); this shows why, against a
semi-join on the cast date and against the span a microbatch window covered.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb

DAYS = 40
FIRST, LAST = "2026-01-02", "2026-02-08"  # two days, 37 days apart


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        con = duckdb.connect(str(Path(scratch) / "bench.duckdb"))
        # rows in arrival order, as partition loads append them
        con.execute(
            "CREATE TABLE requests AS SELECT md5(range::VARCHAR) AS request_id, "
            f"TIMESTAMP '2026-01-01' + to_seconds(range * 86400 * {DAYS} // {args.requests}) "
            "AS requested_at, range % 1000 AS who "
            f"FROM range({args.requests})"
        )
        con.execute(
            "CREATE VIEW staged AS SELECT *, CAST(requested_at AS DATE) AS usage_date FROM requests"
        )
        con.execute(
            f"CREATE TABLE queue AS SELECT * FROM (VALUES (DATE '{FIRST}'), (DATE '{LAST}')) t(usage_date)"
        )
        filters = {
            "requested_at ranges (the model)": (
                f"(requested_at >= TIMESTAMP '{FIRST}' AND requested_at < TIMESTAMP '{FIRST}' + INTERVAL 1 DAY) "
                f"OR (requested_at >= TIMESTAMP '{LAST}' AND requested_at < TIMESTAMP '{LAST}' + INTERVAL 1 DAY)"
            ),
            "semi-join on the date": "usage_date IN (SELECT usage_date FROM queue)",
            "the span (a microbatch window)": f"usage_date BETWEEN DATE '{FIRST}' AND DATE '{LAST}'",
        }
        print(f"{args.requests:,} requests over {DAYS} days; select 2 days {FIRST} and {LAST}")
        for name, where in filters.items():
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                rows, _ids = con.execute(
                    f"SELECT count(*), count(DISTINCT request_id) FROM staged WHERE {where}"
                ).fetchone()
                timings.append(time.perf_counter() - started)
            print(f"  {name:<34} {rows:>12,} rows  best {min(timings):6.2f} s")


if __name__ == "__main__":
    main()
