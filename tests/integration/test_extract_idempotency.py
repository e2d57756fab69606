"""Re-running partitions, in any order, any number of times, or after a crash,
leaves exactly the same raw tables."""

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap

import duckdb
import fsspec
import pytest

from orchestration.extract import DEPLOYS, USAGE, ensure_raw_schema, load_partition
from orchestration.landing import LandingZone
from tests.landing_builder import deploy_row, usage_record, write_deploys, write_usage

DAYS = ["2026-04-06", "2026-04-07", "2026-04-08"]
RAW_TABLES = ("usage_requests", "deploy_records", "quarantined_records", "landing_files")


def build_landing(root):
    for i, day in enumerate(DAYS):
        records = [
            usage_record(f"{day}-{n}", timestamp=f"{day}T0{n % 10}:00:00Z") for n in range(50)
        ]
        records.append('{"broken": ')
        write_usage(root, day, "gw-0.jsonl.gz", records)
        write_usage(
            root,
            day,
            "gw-1.jsonl.gz",
            [usage_record(f"{day}-late", timestamp="2026-04-05T12:00:00Z")],
        )
        write_deploys(root, day, "cd.csv", [deploy_row(f"d{i}"), deploy_row(f"bad{i}", status="?")])


def checksums(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM raw.{t} AS t").fetchone()
            for t in RAW_TABLES
        }
    finally:
        con.close()


def load_days(path, root, days):
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    zone = LandingZone(str(root))
    for day in days:
        for source in (USAGE, DEPLOYS):
            load_partition(con, zone, source, dt.date.fromisoformat(day))
    con.close()


def test_three_times_and_out_of_order_give_identical_tables(tmp_path):
    build_landing(tmp_path / "landing")
    once, thrice, shuffled = (tmp_path / f"{n}.duckdb" for n in ("once", "thrice", "shuffled"))
    load_days(once, tmp_path / "landing", DAYS)
    for _ in range(3):
        load_days(thrice, tmp_path / "landing", DAYS)
    load_days(shuffled, tmp_path / "landing", [DAYS[2], DAYS[0], DAYS[1], DAYS[2]])

    expected = checksums(once)
    assert expected["usage_requests"][0] == 3 * 51
    assert expected["quarantined_records"][0] == 3 + 3
    assert checksums(thrice) == expected
    assert checksums(shuffled) == expected


def test_reloading_a_changed_partition_replaces_only_that_partition(tmp_path):
    root = tmp_path / "landing"
    build_landing(root)
    db = tmp_path / "w.duckdb"
    load_days(db, root, DAYS)
    (root / "usage" / f"dt={DAYS[1]}" / "gw-1.jsonl.gz").unlink()
    load_days(db, root, [DAYS[1]])
    con = duckdb.connect(str(db), read_only=True)
    per_day = dict(
        con.execute("SELECT dt::VARCHAR, count(*) FROM raw.usage_requests GROUP BY 1").fetchall()
    )
    con.close()
    assert per_day == {DAYS[0]: 51, DAYS[1]: 50, DAYS[2]: 51}


KILLED_LOADER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    import duckdb
    from orchestration.extract import USAGE, loader
    from orchestration.landing import LandingZone

    original = loader._Writer.write
    def write_then_stall(self, *args, **kwargs):
        counts = original(self, *args, **kwargs)
        print("BATCH_WRITTEN", flush=True)
        time.sleep(120)  # the parent kills us here, inside the open transaction
        return counts
    loader._Writer.write = write_then_stall

    con = duckdb.connect(sys.argv[1])
    loader.load_partition(con, LandingZone(sys.argv[2]), USAGE, dt.date.fromisoformat(sys.argv[3]))
    """
)


def test_sigkill_mid_load_leaves_no_partial_rows_and_rerun_is_exact(tmp_path):
    root = tmp_path / "landing"
    build_landing(root)
    db = tmp_path / "w.duckdb"
    load_days(db, root, DAYS[:1])
    before = checksums(db)

    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOADER, str(db), str(root), DAYS[1]],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert process.stdout.readline().strip() == "BATCH_WRITTEN"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # The killed transaction is gone: the database is as it was before.
    assert checksums(db) == before
    load_days(db, root, DAYS)
    reference = tmp_path / "clean.duckdb"
    load_days(reference, root, DAYS)
    assert checksums(db) == checksums(reference)
    con = duckdb.connect(str(db), read_only=True)
    duplicates = con.execute(
        "SELECT count(*) FROM (SELECT source_file, line_number FROM raw.usage_requests GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    con.close()
    assert duplicates == 0


def test_landing_zone_on_a_non_local_fsspec_url(tmp_path):
    local = tmp_path / "landing"
    build_landing(local)
    memory = fsspec.filesystem("memory")
    for path in local.rglob("*"):
        if path.is_file():
            memory.pipe(f"/aiw-test/{path.relative_to(local).as_posix()}", path.read_bytes())
    try:
        zone = LandingZone("memory://aiw-test")
        zone.check_readable()
        assert [d.isoformat() for d in zone.partitions("usage")] == DAYS
        con = duckdb.connect(str(tmp_path / "m.duckdb"))
        ensure_raw_schema(con)
        result = load_partition(con, zone, USAGE, dt.date.fromisoformat(DAYS[0]))
        assert (result.rows_loaded, result.rows_quarantined) == (51, 1)
        assert con.execute(
            "SELECT DISTINCT source_file FROM raw.usage_requests ORDER BY 1"
        ).fetchall() == [
            ("usage/dt=2026-04-06/gw-0.jsonl.gz",),
            ("usage/dt=2026-04-06/gw-1.jsonl.gz",),
        ]
        con.close()
    finally:
        memory.rm("/aiw-test", recursive=True)


def test_unreadable_landing_zone_is_one_clear_error(tmp_path):
    from orchestration.landing import LandingZoneError

    with pytest.raises(LandingZoneError, match="does not exist"):
        LandingZone(str(tmp_path / "nowhere")).check_readable()
