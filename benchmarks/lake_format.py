"""The raw lake's table format: plain Parquet with an atomic file swap (what
orchestration/lake.py writes) against Delta Lake (delta-rs, the `deltalake`
package), for one delivery day of usage.

    uv run python benchmarks/lake_format.py [--records 300000]

A generated organisation's day is extracted into a WORK file, then the day's
partition is written, replaced and read back in each format. `deltalake` is not a
dependency of the project: where it is importable (say, a throwaway install on
PYTHONPATH) the Delta rows are measured, else they say it is not installed.
Figures are medians of --repeat runs; docs/architecture.md quotes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import requests_per_dev_day  # noqa: E402
from orchestration import lake  # noqa: E402
from orchestration.extract import USAGE, load_partition  # noqa: E402
from orchestration.landing import LandingZone  # noqa: E402
from sample_data import generate_landing  # noqa: E402

DAY = dt.date(2026, 1, 5)  # a Monday: a full working day of usage
EMPLOYEES = 2000


def median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=300_000, help="usage records of the day")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="aiw-lake-format-"))
    try:
        measure(scratch, args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure(scratch: Path, args: argparse.Namespace) -> None:
    landing = scratch / "landing"
    rate = requests_per_dev_day(EMPLOYEES, 1, args.records)
    generate_landing(
        out=str(landing),
        start=DAY,
        seed=11,
        bad_rate=0.001,
        progress=False,
        employees=EMPLOYEES,
        days=1,
        requests_per_dev_day=rate,
    )
    zone = LandingZone(str(landing))
    print(f"lake format benchmark, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")

    started = time.perf_counter()
    con = duckdb.connect(str(scratch / "work.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    load_partition(con, zone, USAGE, DAY)
    extraction = time.perf_counter() - started
    rows = con.execute("SELECT count(*) FROM raw.usage_requests").fetchone()[0]
    print(f"  day {DAY}: {rows:,} usage rows, extracted (lake off) in {extraction:.2f} s")

    # Plain Parquet, one file per partition swapped in by rename (the lake's own writer)
    plain = lake.Lake(str(scratch / "plain"))
    lake.write_partition(con, plain, "usage_requests", DAY)
    replace = median_seconds(
        lambda: lake.write_partition(con, plain, "usage_requests", DAY), args.repeat
    )
    pattern = f"{plain.root}/usage_requests/*/*.parquet"
    read = median_seconds(
        lambda: con.sql(
            f"SELECT * FROM read_parquet('{pattern}', hive_partitioning = true)"
        ).to_arrow_table(),
        args.repeat,
    )
    from_work = median_seconds(
        lambda: con.sql("SELECT * FROM raw.usage_requests").to_arrow_table(), args.repeat
    )
    size = folder_bytes(Path(plain.root) / "usage_requests")
    print(
        f"  plain Parquet: replace the partition {replace:.2f} s "
        f"({replace / extraction:.0%} of the day's extraction), read it (DuckDB) {read:.2f} s "
        f"(the WORK table: {from_work:.2f} s)"
    )
    print(f"    {size / 2**20:.1f} MiB on disk, {size / rows:.0f} bytes per record")

    try:
        import deltalake
    except ImportError:
        print("  Delta Lake: not measured (the deltalake package is not installed)")
        return
    table = con.sql("SELECT * FROM raw.usage_requests").to_arrow_table()
    path = scratch / "delta" / "usage_requests"
    predicate = f"dt = '{DAY.isoformat()}'"

    def delta_replace(source_table) -> None:
        deltalake.write_deltalake(
            str(path), source_table, partition_by=["dt"], mode="overwrite", predicate=predicate
        )

    deltalake.write_deltalake(str(path), table, partition_by=["dt"])
    replace_delta = median_seconds(lambda: delta_replace(table), args.repeat)
    read_delta = median_seconds(
        lambda: deltalake.DeltaTable(str(path)).to_pyarrow_table(), args.repeat
    )
    files = deltalake.DeltaTable(str(path)).file_uris()
    read_files = median_seconds(
        lambda: con.sql(
            "SELECT * FROM read_parquet($files)", params={"files": files}
        ).to_arrow_table(),
        args.repeat,
    )
    stored = folder_bytes(path)
    print(
        f"  Delta Lake (deltalake {deltalake.__version__}): replace the partition "
        f"{replace_delta:.2f} s + {from_work:.2f} s to hand DuckDB's rows to it as Arrow, "
        f"read it (delta-rs) {read_delta:.2f} s, its current files read by DuckDB "
        f"{read_files:.2f} s"
    )
    print(
        f"    {stored / 2**20:.1f} MiB on disk after {args.repeat + 1} writes "
        f"(replaced files stay until VACUUM), current version's files "
        f"{sum(os.path.getsize(f.removeprefix('file://')) for f in files) / rows:.0f} bytes per record"
    )


if __name__ == "__main__":
    main()
