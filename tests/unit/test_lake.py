"""The raw Parquet lake extraction writes (orchestration/lake.py): one file per
(table, day) replaced whole, the accounting in step with WORK, nothing
quarantined in it, and read by DuckDB's `read_parquet` it equals WORK's raw
tables table for table (Spark reads the same files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from orchestration import lake
from orchestration.extract import USAGE, extract_all, load_partition
from orchestration.landing import LandingZone
from tests.landing_builder import usage_record, write_usage

DAY = "2026-04-07"


def files_under(folder: Path) -> list[str]:
    """Every file below `folder`, hidden ones included, relative to it."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def lake_rows(con, lake_dir: Path, table: str, columns: list[str]) -> list[tuple]:
    folder = lake_dir / table
    partitioned = any(p.name.startswith("dt=") for p in folder.iterdir())
    pattern = f"{folder}/*/*.parquet" if partitioned else f"{folder}/*.parquet"
    return con.execute(
        f"SELECT {', '.join(columns)} FROM read_parquet('{pattern}', hive_partitioning = "
        f"{str(partitioned).lower()}) ORDER BY ALL"
    ).fetchall()


def work_rows(con, table: str) -> tuple[list[str], list[tuple]]:
    columns = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' "
            "AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]
    rows = con.execute(f"SELECT {', '.join(columns)} FROM raw.{table} ORDER BY ALL").fetchall()
    return columns, rows


def load_day(con, root: Path, lake_dir: Path):
    return load_partition(
        con, LandingZone(str(root)), USAGE, dt.date.fromisoformat(DAY), lake.Lake(str(lake_dir))
    )


def test_a_reload_replaces_the_partition_file_whole_and_is_idempotent(con, tmp_path):
    root, lake_dir = tmp_path / "landing", tmp_path / "lake"
    write_usage(root, DAY, "a.jsonl.gz", [usage_record("r1"), usage_record("r2")])
    load_day(con, root, lake_dir)
    partition = lake_dir / "usage_requests" / f"dt={DAY}"
    assert files_under(partition) == ["part-0.parquet"]
    first_token = lake.Lake(str(lake_dir)).token(str(partition / "part-0.parquet"))

    # the file corrected: one request withdrawn, one added
    write_usage(root, DAY, "a.jsonl.gz", [usage_record("r2"), usage_record("r3")])
    load_day(con, root, lake_dir)
    assert files_under(partition) == ["part-0.parquet"]  # no temporary, no second file
    ids = lake_rows(con, lake_dir, "usage_requests", ["request_id"])
    assert ids == [("r2",), ("r3",)]
    assert lake.Lake(str(lake_dir)).token(str(partition / "part-0.parquet")) != first_token

    # the same load again: the same rows, still one file
    load_day(con, root, lake_dir)
    assert lake_rows(con, lake_dir, "usage_requests", ["request_id"]) == ids
    assert files_under(partition) == ["part-0.parquet"]


def test_a_quarantined_record_is_not_in_the_lake_but_its_accounting_is(con, tmp_path):
    root, lake_dir = tmp_path / "landing", tmp_path / "lake"
    write_usage(
        root, DAY, "a.jsonl.gz", [usage_record("ok"), usage_record("bad", status="timeout")]
    )
    extract_all(con, str(root), lake.Lake(str(lake_dir)))
    assert lake_rows(con, lake_dir, "usage_requests", ["request_id"]) == [("ok",)]
    assert lake_rows(con, lake_dir, "quarantined_records", ["record_key", "reason"]) == [
        ("bad", "invalid_value")
    ]
    for table in ("landing_files", "quarantined_records"):
        columns, rows = work_rows(con, table)
        assert lake_rows(con, lake_dir, table, columns) == rows
    assert lake_rows(
        con, lake_dir, "landing_files", ["lines_read", "rows_loaded", "rows_quarantined"]
    ) == [(2, 1, 1)]


def test_duckdb_reads_the_lake_equal_to_work_table_for_table(con, tmp_path):
    from tests.generated_org import generated_landing

    landing, lake_dir = tmp_path / "landing", tmp_path / "lake"
    generated_landing(landing, employees=40, days=3, seed=7, bad_rate=0.02)
    extract_all(con, str(landing), lake.Lake(str(lake_dir)))
    tables = lake.raw_tables(con)
    assert sorted(p.name for p in lake_dir.iterdir()) == tables
    for table in tables:
        columns, rows = work_rows(con, table)
        assert lake_rows(con, lake_dir, table, columns) == rows, table
    # every source with a delivery day is partitioned by it
    for table in lake.PARTITIONED_BY_DT:
        assert all(p.name.startswith("dt=") for p in (lake_dir / table).iterdir()), table
    # written as extraction went: nothing is missing or stale
    assert lake.sync(con, lake_dir) == {}


def test_sync_rewrites_only_the_stale_partition_and_drops_the_vanished(con, tmp_path):
    root, lake_dir = tmp_path / "landing", tmp_path / "lake"
    other, untouched = "2026-04-08", "2026-04-09"
    write_usage(root, DAY, "a.jsonl.gz", [usage_record("r1")])
    for day, request in ((other, "r2"), (untouched, "r3")):
        write_usage(root, day, f"{request}.jsonl.gz", [usage_record(request, f"{day}T09:00:00Z")])
    extract_all(con, str(root), lake.Lake(str(lake_dir)))
    vanished = lake_dir / "usage_requests" / f"dt={other}"
    kept = lake_dir / "usage_requests" / f"dt={untouched}" / "part-0.parquet"
    kept_mtime = kept.stat().st_mtime_ns

    # a load committed in WORK whose file was never written (a process killed
    # between the two), and a partition WORK no longer holds
    con.execute("DELETE FROM raw.usage_requests WHERE dt = ?", [DAY])
    lake.record_load(con, "usage_requests", dt.date.fromisoformat(DAY))
    con.execute("DELETE FROM raw.usage_requests WHERE dt = ?", [other])
    con.execute("DELETE FROM raw.lake_partitions WHERE dt = ?", [other])
    written = lake.sync(con, lake_dir)
    assert written == {"usage_requests": 0}  # the stale day rewritten (empty now)
    assert not vanished.exists()
    assert kept.stat().st_mtime_ns == kept_mtime  # the current day left alone
    assert lake_rows(con, lake_dir, "usage_requests", ["request_id"]) == [("r3",)]
    # in line now: a second sync writes nothing
    assert lake.sync(con, lake_dir) == {}


def test_the_lake_is_off_unless_asked_for(monkeypatch, tmp_path):
    monkeypatch.delenv("AIW_LAKE", raising=False)
    monkeypatch.setenv("AIW_ENGINE", "duckdb")
    assert lake.lake_for(tmp_path / "w.work.duckdb") is None
    monkeypatch.setenv("AIW_ENGINE", "spark")
    assert lake.lake_for(tmp_path / "w.work.duckdb").url == str(
        (tmp_path / "w.work.spark" / "lake").resolve()
    )
    monkeypatch.setenv("AIW_ENGINE", "duckdb")
    monkeypatch.setenv("AIW_LAKE", "memory://aiw-lake")
    assert lake.lake_for(tmp_path / "w.work.duckdb").url == "memory://aiw-lake"


def test_an_fsspec_url_is_written_and_an_unusable_one_is_one_line(con, tmp_path):
    import fsspec

    root = tmp_path / "landing"
    write_usage(root, DAY, "a.jsonl.gz", [usage_record("r1")])
    url = f"memory://aiw-lake-{tmp_path.name}"
    load_partition(con, LandingZone(str(root)), USAGE, dt.date.fromisoformat(DAY), lake.Lake(url))
    fs = fsspec.filesystem("memory")
    path = f"/aiw-lake-{tmp_path.name}/usage_requests/dt={DAY}/part-0.parquet"
    with fs.open(path, "rb") as handle:
        import pyarrow.parquet as pq

        assert pq.read_table(handle).column("request_id").to_pylist() == ["r1"]
    with pytest.raises(lake.LakeError) as refused:
        lake.Lake("nosuchscheme://bucket/lake")
    assert "\n" not in str(refused.value) and "nosuchscheme://bucket/lake" in str(refused.value)


def test_rows_no_load_recorded_still_reach_the_lake_once(con, tmp_path):
    from orchestration.extract import ensure_raw_schema

    ensure_raw_schema(con)
    con.execute(
        "INSERT INTO raw.deploy_records (dt, source_file, line_number, deployment_id) "
        "VALUES (DATE '2026-04-07', 'by-hand.csv', 1, 'd1')"
    )
    lake_dir = tmp_path / "lake"
    assert lake.sync(con, lake_dir)["deploy_records"] == 1
    assert lake_rows(con, lake_dir, "deploy_records", ["deployment_id"]) == [("d1",)]
    assert lake.sync(con, lake_dir) == {}


def test_run_with_an_unusable_lake_url_exits_2_with_one_line(monkeypatch, capsys, tmp_path):
    from orchestration import cli

    monkeypatch.setenv("AIW_LAKE", "nosuchscheme://bucket/lake")
    code = cli.main(["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == cli.EXIT_USAGE
    assert len(err) == 1 and err[0].startswith(
        "aiw run: error: lake nosuchscheme://bucket/lake cannot be written:"
    )
