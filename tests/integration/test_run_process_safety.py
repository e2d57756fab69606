"""`aiw run` as a process: killed mid-run, raced by a second run, pointed at a
path with a quote, or out of disk. Each case runs the real `aiw` console script."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from orchestration.publish import PUBLICATION_TABLE
from tests.conftest import CONFORMANCE
from tests.tmpfs import own_tmpfs

pytestmark = pytest.mark.xdist_group("run_process_safety")

AIW = Path(sys.executable).with_name("aiw")


def _landing(root: Path) -> Path:
    """The conformance landing zone without the two inputs other issues fix
    (a header-only export, a timestamp before the partitions), so this module
    tests process safety alone and runs a small dbt window."""
    landing = root / "landing"
    shutil.copytree(CONFORMANCE / "landing", landing)
    for path in (landing / "deploys").glob("dt=*/*.csv"):
        if len(path.read_text(errors="replace").strip().splitlines()) <= 1:
            path.unlink()
    for path in (landing / "usage").glob("dt=*/*.jsonl.gz"):
        lines = gzip.decompress(path.read_bytes()).splitlines(keepends=True)
        kept = [line for line in lines if b'"timestamp": "2024-' not in line]
        if kept != lines:
            path.write_bytes(gzip.compress(b"".join(kept), mtime=0))
    return landing


def _aiw_run(landing: Path, warehouse: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [str(AIW), "run", "--landing", str(landing), "--warehouse", str(warehouse)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Dagster's BetaWarnings are issue 13's; this module checks errors only.
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        **popen,
    )


def _dbt_child(process: psutil.Process) -> psutil.Process | None:
    for child in process.children(recursive=True):
        try:
            if any(part.endswith("dbt") for part in child.cmdline()[:3]):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE  # dead, not yet reaped by init
    except psutil.NoSuchProcess:
        return True


def test_killed_run_takes_dbt_with_it_and_the_next_run_publishes(tmp_path):
    landing = _landing(tmp_path)
    # A quote in the path: every SQL string built from a path must escape it.
    folder = tmp_path / "it's a warehouse"
    folder.mkdir()
    warehouse = folder / "w.duckdb"
    # what a publish killed before its rename leaves behind
    leftover = folder / f".w.duckdb.{'c' * 32}.tmp"
    leftover.write_bytes(b"half a database")

    first = _aiw_run(landing, warehouse)
    aiw = psutil.Process(first.pid)
    deadline = time.monotonic() + 600
    dbt = None
    while dbt is None and first.poll() is None and time.monotonic() < deadline:
        dbt = _dbt_child(aiw)
        time.sleep(0.2)
    assert dbt is not None, f"dbt never started: {first.communicate()}"

    second = _aiw_run(landing, warehouse)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"aiw run: error: another run is using {warehouse} since ")
    assert lines[0].endswith(f"(pid {first.pid})")

    first.send_signal(signal.SIGKILL)
    first.communicate()
    until = time.monotonic() + 10
    while not _gone(dbt) and time.monotonic() < until:
        time.sleep(0.1)
    assert _gone(dbt), f"dbt {dbt.pid} outlived the killed aiw run"

    third = _aiw_run(landing, warehouse)
    out, err = third.communicate(timeout=900)
    assert third.returncode == 0, out + err
    assert "Traceback" not in err
    con = duckdb.connect(str(warehouse), read_only=True)
    producer = con.execute(f"SELECT producer FROM {'.'.join(PUBLICATION_TABLE)}").fetchall()
    rows = con.execute("SELECT count(*) FROM marts.fct_token_usage_daily").fetchone()[0]
    con.close()
    assert producer == [("ai-impact-warehouse",)] and rows > 0
    assert not leftover.exists()
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


@pytest.fixture
def tmpfs(tmp_path):
    """A 64 MiB file system of its own (root only), so filling it is harmless."""
    with own_tmpfs(tmp_path / "disk", "64m") as mount:
        yield mount


def test_full_disk_exits_1_with_one_line_and_keeps_the_serving_file(tmp_path, tmpfs):
    """A real ENOSPC: the warehouse folder is a tmpfs filled up to its last 256 KiB."""
    from orchestration.publish import publish
    from tests.integration.test_publish_concurrency import build_version

    landing = _landing(tmp_path)
    warehouse = tmpfs / "w.duckdb"
    build_version(tmp_path / "small.work.duckdb", 1)
    publish(tmp_path / "small.work.duckdb", warehouse)
    before = warehouse.read_bytes()
    free = shutil.disk_usage(tmpfs).free
    with open(tmpfs / "ballast", "wb") as ballast:
        ballast.truncate(0)
        ballast.write(b"\0" * (free - 256 * 1024))

    run = _aiw_run(landing, warehouse)
    out, err = run.communicate(timeout=900)
    assert run.returncode == 1, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aiw run: the run failed"), err
    # the cause is named: in the line, or in the failed step's summary line
    assert "No space left on device" in lines[0] + out, out + err
    assert warehouse.read_bytes() == before
    assert [p.name for p in tmpfs.iterdir() if p.name.endswith(".tmp")] == []


def test_failed_step_is_one_line_with_the_full_error_in_the_run_log(tmp_path):
    """A WORK database that is not one (a crash of the disk, a stray file): every
    extraction step fails; the console gets the cause, the run log the trace."""
    landing = _landing(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    (tmp_path / "w.work.duckdb").write_text("not a database\n")
    run = _aiw_run(landing, warehouse)
    out, err = run.communicate(timeout=900)
    assert run.returncode == 1, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("aiw run: the run failed (")
    assert "not a valid DuckDB database file" in lines[0]
    assert "step failed: raw__usage_requests" in out
    assert "Stack Trace" in (tmp_path / "w.work.log").read_text()
    assert not warehouse.exists()
