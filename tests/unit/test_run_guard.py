"""What `aiw run` may replace, the warehouse lock, and what a killed or failed
publish leaves behind."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from orchestration import publish as publish_module
from orchestration.publish import PUBLICATION_TABLE, publish, remove_stale_staging
from orchestration.run_guard import (
    WarehouseRefused,
    check_replaceable,
    claim_warehouse,
    lock_path_for,
)
from tests.integration.test_publish_concurrency import build_version
from tests.tmpfs import own_tmpfs


def _published(tmp_path: Path) -> Path:
    work, serving = tmp_path / "w.work.duckdb", tmp_path / "w.duckdb"
    build_version(work, 1)
    publish(work, serving)
    return serving


def test_publish_marks_the_serving_file(tmp_path):
    serving = _published(tmp_path)
    con = duckdb.connect(str(serving), read_only=True)
    row = con.execute(
        f"SELECT producer, published_at FROM {'.'.join(PUBLICATION_TABLE)}"
    ).fetchall()
    con.close()
    assert len(row) == 1 and row[0][0] == "ai-impact-warehouse" and row[0][1] is not None


def test_a_warehouse_named_serving_publishes(tmp_path):
    # its WORK database is then called `serving` too, the name publish attaches under
    work, serving = tmp_path / "serving.work.duckdb", tmp_path / "serving.duckdb"
    build_version(work, 1)
    publish(work, serving)
    con = duckdb.connect(str(serving), read_only=True)
    try:
        schema, name = PUBLICATION_TABLE
        assert con.execute(f"SELECT producer FROM {schema}.{name}").fetchone() == (
            publish_module.PRODUCER,
        )
    finally:
        con.close()


def test_replaceable_files(tmp_path):
    check_replaceable(tmp_path / "missing.duckdb")
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    check_replaceable(empty)
    blank = tmp_path / "blank.duckdb"
    duckdb.connect(str(blank)).close()
    check_replaceable(blank)
    check_replaceable(_published(tmp_path))
    # a serving file published before the publication table existed
    legacy = tmp_path / "legacy.duckdb"
    con = duckdb.connect(str(legacy))
    con.execute("CREATE SCHEMA audit; CREATE TABLE audit.check_results AS SELECT 1 AS x")
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.f AS SELECT 1 AS x")
    con.close()
    check_replaceable(legacy)


def test_files_it_did_not_write_are_refused(tmp_path):
    text = tmp_path / "notes.md"
    text.write_text("# my notes\n")
    foreign = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE orders AS SELECT 1 AS id")
    con.close()
    work_like = tmp_path / "w.work.duckdb"
    build_version(work_like, 1)  # has a raw schema: a WORK database, not a serving file
    for path, reason in (
        (text, "not a DuckDB database"),
        (foreign, "did not write"),
        (work_like, "did not write"),
        (tmp_path, "is a folder"),
    ):
        with pytest.raises(WarehouseRefused, match=reason):
            check_replaceable(path)


def test_lock_of_a_dead_run_does_not_block(tmp_path):
    serving = tmp_path / "w.duckdb"
    # what a SIGKILLed run leaves: the file with its pid, and no lock held
    lock_path_for(serving).write_text("999999 2026-01-01T00:00:00Z\n")
    with claim_warehouse(serving):
        holder = lock_path_for(serving).read_text().split()
        assert holder[0] == str(os.getpid())
        with (
            pytest.raises(WarehouseRefused, match=f"another run is using {serving} since"),
            claim_warehouse(serving),
        ):
            pass
    with claim_warehouse(serving):  # released when the run ends
        pass


HOLD_STAGING = textwrap.dedent(
    """
    import sys, time
    import duckdb

    con = duckdb.connect()
    con.execute("ATTACH '" + sys.argv[1].replace("'", "''") + "' AS s")
    con.execute("CREATE TABLE s.t AS SELECT 1 AS x")
    print("WRITING", flush=True)
    time.sleep(600)
    """
)


def test_staging_of_a_killed_publish_is_removed_but_not_a_live_one(tmp_path):
    serving = _published(tmp_path)
    dead = tmp_path / f".{serving.name}.{'a' * 32}.tmp"
    con = duckdb.connect(str(dead))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    dead_wal = dead.with_name(dead.name + ".wal")
    dead_wal.write_bytes(b"partial")
    live = tmp_path / f".{serving.name}.{'b' * 32}.tmp"
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_STAGING, str(live)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "WRITING"
        with claim_warehouse(serving):
            pass
        assert not dead.exists() and not dead_wal.exists()
        assert live.exists()
    finally:
        writer.kill()
        writer.wait()
    assert remove_stale_staging(serving) == [live]
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []


def test_full_disk_during_publish_leaves_the_serving_file_and_no_staging(tmp_path, monkeypatch):
    """ENOSPC injected where the staging file is made durable (os.fsync)."""
    serving = _published(tmp_path)
    before = serving.read_bytes()
    build_version(tmp_path / "w.work.duckdb", 2)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(publish_module.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        publish(tmp_path / "w.work.duckdb", serving)
    assert serving.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 4 MiB file system of its own (root only)."""
    with own_tmpfs(tmp_path / "small", "4m") as mount:
        yield mount


def test_real_full_disk_during_publish(tmp_path, small_tmpfs):
    """The staging copy does not fit: DuckDB's own write fails with ENOSPC."""
    work = tmp_path / "w.work.duckdb"
    build_version(work, 1)
    serving = small_tmpfs / "w.duckdb"
    publish(work, serving)
    before = serving.read_bytes()
    con = duckdb.connect(str(work))
    # random doubles do not compress: far more than the 4 MiB left
    con.execute(
        "CREATE OR REPLACE TABLE marts.facts AS SELECT 2 AS version, random() AS n FROM range(2000000)"
    )
    con.close()
    with pytest.raises((duckdb.Error, OSError), match=r"(?i)no space left on device"):
        publish(work, serving)
    assert serving.read_bytes() == before
    assert [p.name for p in small_tmpfs.iterdir()] == ["w.duckdb"]
