"""dbt build of the conformance case: node count by type and wall time.

Extracts tests/fixtures/conformance/landing into a temporary WORK file, then
runs `dbt build` twice in-process (a full build, then an incremental one with
an empty queue) and prints the nodes run by type and the wall time of each.
Compare two branches by running it from each checkout.

    uv run python benchmarks/dbt_conformance_build.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestration import extract
from tests.dbt._dbt import CONFORMANCE_DIR, run_dbt


def main() -> None:
    os.environ.setdefault("AIW_PSEUDONYM_KEY", "benchmark")
    work = Path(tempfile.mkdtemp(prefix="dbt_bench_"))
    db = work / "work.duckdb"
    con = duckdb.connect(str(db))
    extract.extract_all(con, str(CONFORMANCE_DIR / "landing"))
    con.close()
    for label in ("full build", "incremental build"):
        started = time.perf_counter()
        result = run_dbt(["build"], work, db)
        elapsed = time.perf_counter() - started
        kinds = Counter(str(r.node.resource_type) for r in result.result)
        by_kind = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
        print(
            f"{label}: success={result.success} nodes={sum(kinds.values())} ({by_kind}) {elapsed:.1f} s"
        )


if __name__ == "__main__":
    main()
