"""Files no run reads are listed with their reason (issue 12): nothing delivered
disappears without a trace. The landing zone is the conformance case plus the
files a run does not read."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil

import duckdb
import pytest

from orchestration.extract import extract_all, record_ignored_files
from orchestration.landing import LandingZone
from tests.conftest import CONFORMANCE
from tests.landing_builder import usage_record

UNREAD = {
    "usage/dt=2026-02-30/gw-0.jsonl.gz": ("usage", None, "invalid_partition_folder"),
    "usage/dt=2026-4-7/gw-0.jsonl.gz": ("usage", None, "invalid_partition_folder"),
    "usage/dt=2024-12-31/gw-0.jsonl.gz": ("usage", dt.date(2024, 12, 31), "partition_before_start"),
    "usage/dt=2026-04-07/retry/gw-9.jsonl.gz": ("usage", dt.date(2026, 4, 7), "in_subfolder"),
    "usage/dt=2026-04-07/gw-0.json": ("usage", dt.date(2026, 4, 7), "unexpected_suffix"),
    "usage/dt=2026-04-07/_SUCCESS": ("usage", dt.date(2026, 4, 7), "hidden_file"),
    "usage/gw-0.jsonl.gz": ("usage", None, "unexpected_place"),
    "deploys/dt=2026-04-07/cd-export.csv.bak": (
        "deploys",
        dt.date(2026, 4, 7),
        "unexpected_suffix",
    ),
    "roster/2026/roster_2026-04-06.csv": ("roster", None, "in_subfolder"),
    "reference/price_book_v2.csv": ("reference", None, "unexpected_place"),
    "billing/invoice.csv": (None, None, "unexpected_place"),
    "README.txt": (None, None, "unexpected_place"),
}


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    shutil.copytree(CONFORMANCE / "landing", root)
    for relative in UNREAD:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.endswith(".jsonl.gz"):
            target.write_bytes(gzip.compress(json.dumps(usage_record("lost")).encode() + b"\n"))
        else:
            target.write_text("something delivered\n")
    os.symlink(root / "nowhere.jsonl.gz", root / "usage" / "dt=2026-04-07" / "gw-link.jsonl.gz")
    # a followed link is read, and a link back up the tree is not walked twice
    os.symlink(root / "usage" / "dt=2026-04-06", root / "usage" / "dt=2026-04-25")
    os.symlink(root / "usage", root / "usage" / "dt=2026-04-06" / "loop")
    return root


EXPECTED = {
    **UNREAD,
    "usage/dt=2026-04-07/gw-link.jsonl.gz": ("usage", dt.date(2026, 4, 7), "broken_symlink"),
}


def test_every_unread_file_is_listed_with_its_reason(landing):
    ignored = LandingZone(str(landing)).ignored_files()
    # the link back up (`loop`) is not walked again: its files are listed once, by their own path
    assert {f.source_file: (f.source, f.dt, f.reason) for f in ignored} == EXPECTED


def test_read_files_are_not_listed(landing):
    zone = LandingZone(str(landing))
    read = zone.read_files()
    assert "usage/dt=2026-04-25/gw-0.jsonl.gz" in read  # through the symbolic link
    assert "usage/dt=2026-04-15/gw-bad.jsonl.gz" in read
    assert not read & {f.source_file for f in zone.ignored_files()}


def test_ignored_files_are_in_raw_landing_files_and_replaced_each_run(landing, tmp_path):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    extract_all(con, str(landing))
    rows = con.execute(
        "SELECT source_file, source, dt, reason FROM raw.landing_files "
        "WHERE file_status = 'ignored' ORDER BY 1"
    ).fetchall()
    assert {r[0]: r[1:] for r in rows} == EXPECTED
    accounted = con.execute(
        "SELECT count(*) FILTER (WHERE lines_read <> rows_loaded + rows_quarantined), "
        "count(*) FILTER (WHERE file_status = 'ignored' AND (lines_read <> 0 OR table_name IS NOT NULL)) "
        "FROM raw.landing_files"
    ).fetchone()
    assert accounted == (0, 0)

    (landing / "README.txt").unlink()
    (landing / "usage" / "dt=2026-04-07" / "gw-0.json").rename(
        landing / "usage" / "dt=2026-04-07" / "gw-5.jsonl"
    )
    record_ignored_files(con, LandingZone(str(landing)))
    now = {
        r[0]
        for r in con.execute(
            "SELECT source_file FROM raw.landing_files WHERE file_status = 'ignored'"
        ).fetchall()
    }
    assert "README.txt" not in now and "usage/dt=2026-04-07/gw-0.json" not in now
    assert "usage/dt=2026-04-07/gw-5.jsonl" not in now  # now read by the partition's run
    assert "billing/invoice.csv" in now
    con.close()
