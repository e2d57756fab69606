"""BI readers never see a lock error or a half-published file while runs publish."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import duckdb

from orchestration.publish import publish

READER = textwrap.dedent(
    """
    import json, sys, time
    import duckdb

    path, mode, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    stats = {"reads": 0, "errors": [], "mixed": 0, "versions": []}
    held = duckdb.connect(path, read_only=True) if mode == "hold" else None
    print("READY", flush=True)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            con = held or duckdb.connect(path, read_only=True)
            row = con.execute(
                "SELECT (SELECT min(version) FROM marts.facts), (SELECT max(version) FROM marts.facts),"
                " (SELECT count(*) FROM marts.facts), (SELECT min(version) FROM restricted.people),"
                " (SELECT max(version) FROM audit.check_results)"
            ).fetchone()
            if held is None:
                con.close()
            low, high, rows, people, checks = row
            # Every table of one published version carries that version and 100*version rows.
            if not (low == high == people == checks and rows == 100 * low):
                stats["mixed"] += 1
            stats["reads"] += 1
            if not stats["versions"] or stats["versions"][-1] != low:
                stats["versions"].append(low)
        except Exception as exc:  # any lock or IO error is a failure of the contract
            stats["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
    print(json.dumps(stats), flush=True)
    """
)


def build_version(work, version: int) -> None:
    con = duckdb.connect(str(work))
    for schema in ("marts", "restricted", "audit"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(
        f"CREATE OR REPLACE TABLE marts.facts AS SELECT {version} AS version, range AS n FROM range({100 * version})"
    )
    con.execute(f"CREATE OR REPLACE TABLE restricted.people AS SELECT {version} AS version")
    con.execute(f"CREATE OR REPLACE TABLE audit.check_results AS SELECT {version} AS version")
    con.execute("COMMENT ON TABLE marts.facts IS 'facts of one version'")
    con.execute("COMMENT ON COLUMN marts.facts.version IS 'the published version'")
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE OR REPLACE TABLE raw.secret AS SELECT 'not for BI' AS x")
    con.close()


def start_reader(serving, mode: str, seconds: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", READER, str(serving), mode, str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert process.stdout.readline().strip() == "READY"
    return process


def test_readers_see_whole_versions_and_no_lock_errors_while_runs_publish(tmp_path):
    work, serving = tmp_path / "w.work.duckdb", tmp_path / "w.duckdb"
    build_version(work, 1)
    publish(work, serving)

    holder = start_reader(serving, "hold", 6)
    reopener = start_reader(serving, "reopen", 6)
    for version in range(2, 8):
        build_version(work, version)
        publish(work, serving)
        time.sleep(0.4)
    held_stats = json.loads(holder.communicate(timeout=60)[0].strip().splitlines()[-1])
    reopen_stats = json.loads(reopener.communicate(timeout=60)[0].strip().splitlines()[-1])

    for stats in (held_stats, reopen_stats):
        assert stats["errors"] == []
        assert stats["mixed"] == 0
        assert stats["reads"] > 10
    # The held connection keeps its consistent snapshot; reconnecting readers move forward.
    assert held_stats["versions"] == [1]
    assert reopen_stats["versions"][-1] == 7 and len(reopen_stats["versions"]) >= 3
    assert reopen_stats["versions"] == sorted(reopen_stats["versions"])


def test_publish_copies_bi_schemas_with_comments_and_nothing_else(tmp_path):
    work, serving = tmp_path / "w.work.duckdb", tmp_path / "w.duckdb"
    build_version(work, 3)
    result = publish(work, serving)
    con = duckdb.connect(str(serving), read_only=True)
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2"
    ).fetchall()
    comment = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'facts' AND column_name = 'version'"
    ).fetchone()
    con.close()
    assert tables == [
        ("audit", "check_results"),
        ("audit", "publication"),
        ("marts", "facts"),
        ("restricted", "people"),
    ]
    assert comment == ("the published version",)
    assert result.tables == 3 and result.rows == 302
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
