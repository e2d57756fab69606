"""What each start-up or exit shortcut of the pipeline saves, measured now.

`uv run python benchmarks/speed_tricks.py [--repeat N]` prints one row per
shortcut: the median wall seconds of the work it avoids, each in a fresh
Python process (imports are cached within one). The shortcuts live in
orchestration/shortcuts.py; a shortcut whose row shows it no longer pays
should go. Figures belong here, not in comments: they change with the
machine, its load and the library versions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Each probe prints the seconds of the work a shortcut avoids.
DBT_VERSION = """
import subprocess, sys, time
from orchestration.settings import dbt_executable
t = time.perf_counter()
subprocess.run([dbt_executable(), "--version"], check=True, capture_output=True)
print(time.perf_counter() - t)
"""

DBT_ADAPTER = """
import os, sys, time
os.environ["AIW_WORK_DB"] = sys.argv[1]
from dagster_dbt import DbtCliResource
from dagster_dbt.core.resource import pushd
from orchestration.settings import DBT_PROJECT_DIR
resource = DbtCliResource(project_dir=str(DBT_PROJECT_DIR))
with pushd(str(DBT_PROJECT_DIR)):
    t = time.perf_counter()
    resource._initialize_dbt_core_adapter(["build"])
print(time.perf_counter() - t)
"""

GE_IMPORT = """
import time
import pandas, dagster  # already imported by the time the extraction runs
t = time.perf_counter()
from data_quality.expectations import warm_up
warm_up()
print(time.perf_counter() - t)
"""

# The interpreter's teardown after a run's imports: time from the last line
# of work to the process's end, with a normal exit and with the shortcut.
TEARDOWN = """
import sys, time
import dagster, dagster_dbt, pandas, polars, duckdb
from data_quality.expectations import warm_up
warm_up()
from orchestration.code_location import build_definitions
build_definitions(sys.argv[1], sys.argv[2])
print(time.time(), flush=True)
if sys.argv[3] == "shortcut":
    from orchestration.shortcuts import exit_without_teardown
    exit_without_teardown(0)
"""


def _probe(code: str, *args: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def _teardown(mode: str, landing: str, serving: str) -> float:
    process = subprocess.Popen(
        [sys.executable, "-c", TEARDOWN, landing, serving, mode],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    done = float(process.stdout.readline())
    process.wait()
    return time.time() - done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = str(Path(tmp) / "w.work.duckdb")
        landing, serving = str(Path(tmp) / "landing"), str(Path(tmp) / "w.duckdb")
        rows = [
            ("dbt --version (WarehouseDbtCli._cli_version)", lambda: _probe(DBT_VERSION)),
            (
                "dbt adapter in the Dagster process (_initialize_dbt_core_adapter)",
                lambda: _probe(DBT_ADAPTER, work),
            ),
            ("GE import + context (warm-up thread overlaps it)", lambda: _probe(GE_IMPORT)),
            ("interpreter teardown, normal exit", lambda: _teardown("normal", landing, serving)),
            (
                "interpreter teardown, exit_without_teardown",
                lambda: _teardown("shortcut", landing, serving),
            ),
        ]
        print(f"{'what the shortcut avoids':70} median s  (runs)")
        for label, measure in rows:
            seconds = [measure() for _ in range(args.repeat)]
            runs = ", ".join(f"{s:.2f}" for s in seconds)
            print(f"{label:70} {statistics.median(seconds):8.2f}  ({runs})")


if __name__ == "__main__":
    main()
