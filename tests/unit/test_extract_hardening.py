"""Odd real-world input at extraction (issue 12): each value is quarantined with
its reason, never converted, clipped, overflowed or loaded as NULL, and a file
with no records is a quiet day. Each landing zone is the conformance case plus
one bad thing, or a small file built here."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil

import pytest

from orchestration.extract import (
    DEPLOYS,
    USAGE,
    extract_all,
    load_roster,
)
from orchestration.landing import LandingZone
from tests.conftest import CONFORMANCE
from tests.extract_helpers import day_loader, quarantined
from tests.landing_builder import (
    DEPLOY_HEADER,
    ROSTER_HEADER,
    deploy_row,
    usage_record,
    write_deploys,
    write_text,
    write_usage,
)

DAY = "2026-04-07"


@pytest.fixture
def conformance_plus(tmp_path):
    """A copy of the conformance landing zone, to which a test adds one bad thing."""
    root = tmp_path / "landing"
    shutil.copytree(CONFORMANCE / "landing", root)
    return root


load_usage = day_loader(USAGE, DAY)
load_deploys = day_loader(DEPLOYS, DAY)


def counts(**overrides) -> dict:
    return {**usage_record("x")["usage"], **overrides}


def test_early_timestamp_is_quarantined_and_never_reaches_raw(con, conformance_plus):
    write_usage(
        conformance_plus,
        "2026-04-18",
        "gw-epoch.jsonl.gz",
        [
            usage_record("epoch", timestamp="1970-01-01T00:00:00Z"),
            usage_record("eve", timestamp="2024-12-31T23:59:59.999Z"),
            # 2025-01-01T00:30 at +01:00 is still 2024 in UTC
            usage_record("eve-local", timestamp="2025-01-01T00:30:00+01:00"),
            usage_record("first-day", timestamp="2025-01-01T00:00:00Z"),
        ],
    )
    write_deploys(
        conformance_plus,
        "2026-04-18",
        "cd-epoch.csv",
        [deploy_row("d-epoch", started_at="1970-01-01T00:00:00Z", finished_at="")],
    )

    extract_all(con, str(conformance_plus))

    assert [
        row
        for row in quarantined(con)
        if row[0].startswith(("usage/dt=2026-04-18", "deploys/dt=2026-04-18"))
    ] == [
        ("deploys/dt=2026-04-18/cd-epoch.csv", 2, "timestamp_before_partitions"),
        ("usage/dt=2026-04-18/gw-epoch.jsonl.gz", 1, "timestamp_before_partitions"),
        ("usage/dt=2026-04-18/gw-epoch.jsonl.gz", 2, "timestamp_before_partitions"),
        ("usage/dt=2026-04-18/gw-epoch.jsonl.gz", 3, "timestamp_before_partitions"),
    ]
    # the conformance case's own early line, too
    assert ("usage/dt=2026-04-15/gw-bad.jsonl.gz", 7, "timestamp_before_partitions") in (
        quarantined(con)
    )
    oldest = con.execute(
        "SELECT min(requested_at) FROM raw.usage_requests UNION ALL "
        "SELECT min(started_at) FROM raw.deploy_records"
    ).fetchall()
    assert oldest[0][0] == dt.datetime(2025, 1, 1)  # the first partition day itself loads
    assert oldest[1][0] >= dt.datetime(2025, 1, 1)


def test_partitions_start_comes_from_the_environment(con, tmp_path, monkeypatch):
    monkeypatch.setenv("AIW_PARTITIONS_START", "2026-04-01")
    write_usage(
        tmp_path,
        DAY,
        "gw.jsonl.gz",
        [
            usage_record("march", timestamp="2026-03-31T23:59:59Z"),
            usage_record("april", timestamp="2026-04-01T00:00:00Z"),
        ],
    )
    load_usage(con, tmp_path)
    assert quarantined(con) == [
        ("usage/dt=2026-04-07/gw.jsonl.gz", 1, "timestamp_before_partitions")
    ]
    assert con.execute("SELECT request_id FROM raw.usage_requests").fetchall() == [("april",)]


def test_header_only_csv_is_a_quiet_day(con, conformance_plus):
    write_deploys(conformance_plus, "2026-04-18", "cd-quiet.csv", [])
    write_text(conformance_plus, "deploys/dt=2026-04-19/cd-quiet-no-newline.csv", DEPLOY_HEADER)
    write_text(conformance_plus, "roster/roster_2026-04-21.csv", ROSTER_HEADER + "\r\n")

    results = extract_all(con, str(conformance_plus))

    files = {f.source_file: f for r in results for f in r.files}
    for path in (
        "deploys/dt=2026-04-18/cd-quiet.csv",
        "deploys/dt=2026-04-19/cd-quiet-no-newline.csv",
        "roster/roster_2026-04-21.csv",
    ):
        assert files[path].file_status == "loaded"
        assert (files[path].lines_read, files[path].rows_loaded) == (0, 0)
    # the conformance case's own header-only export
    assert files["deploys/dt=2026-04-24/cd-export.csv"].file_status == "loaded"
    assert not [r for r in quarantined(con) if r[1] is None]


HUGE = [
    (10**12 + 1, "out_of_range"),
    (2**63 - 1, "out_of_range"),
    (2**63, "out_of_range"),
    (2**64 - 1, "out_of_range"),
    (2**64, "out_of_range"),
    (10**40, "out_of_range"),
    (-(2**63) - 1, "negative_count"),
    (-(10**40), "negative_count"),
]


def test_huge_usage_counts_are_out_of_range_never_null(con, tmp_path):
    lines = [usage_record("at-limit", usage=counts(input_tokens=10**12), latency_ms=10**12)]
    for i, (value, _) in enumerate(HUGE):
        key = ("input_tokens", "output_tokens", "cache_read_input_tokens")[i % 3]
        lines.append(usage_record(f"huge-{i}", usage=counts(**{key: value})))
    lines.append(usage_record("slow", latency_ms=2**63))
    lines.append(usage_record("slower", latency_ms=10**30))
    write_usage(tmp_path, DAY, "gw.jsonl.gz", lines)

    result = load_usage(con, tmp_path)

    expected = [r for _, r in HUGE] + ["out_of_range", "out_of_range"]
    assert [r for _, _, r in quarantined(con)] == expected
    assert con.execute(
        "SELECT request_id, input_tokens, latency_ms FROM raw.usage_requests"
    ).fetchall() == [("at-limit", 10**12, 10**12)]
    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (
        len(lines),
        1,
        len(expected),
    )


def test_huge_deploy_counts_are_out_of_range(con, tmp_path):
    write_deploys(
        tmp_path,
        DAY,
        "cd.csv",
        [
            deploy_row("ok", lines_added=str(10**12), attempt="3"),
            deploy_row("big-added", lines_added=str(2**63 - 1)),
            deploy_row("bigger-deleted", lines_deleted=str(2**64)),
            deploy_row("big-attempt", attempt=str(2**63)),
            deploy_row("neg-huge", lines_deleted=str(-(2**70))),
        ],
    )
    load_deploys(con, tmp_path)
    assert [(n, r) for _, n, r in quarantined(con)] == [
        (3, "out_of_range"),
        (4, "out_of_range"),
        (5, "out_of_range"),
        (6, "negative_count"),
    ]
    assert con.execute(
        "SELECT deployment_id, lines_added, attempt FROM raw.deploy_records"
    ).fetchall() == [("ok", 10**12, 3)]


def test_invalid_utf8_row_is_quarantined_with_its_bytes_shown(con, conformance_plus):
    path = write_deploys(
        conformance_plus,
        "2026-04-18",
        "cd-latin1.csv",
        [deploy_row("fine-1"), deploy_row("bad", service="caf\xe9"), deploy_row("fine-2")],
    )
    # the middle row's é is one Latin-1 byte; the others stay UTF-8 (and é there is fine)
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace("caf\xe9".encode(), b"caf\xe9")
    lines[1] = lines[1].replace(b"api", "ap\u00ef".encode())
    path.write_bytes(b"\n".join(lines))
    roster = conformance_plus / "roster" / "roster_2026-04-20.csv"
    roster.write_bytes(roster.read_bytes().rstrip(b"\r\n") + b"\r\np999,x@y,Jos\xe9,other\r\n")

    extract_all(con, str(conformance_plus))

    assert [r for r in quarantined(con) if r[2] == "invalid_encoding" or "2026-04-18" in r[0]] == [
        ("deploys/dt=2026-04-18/cd-latin1.csv", 3, "invalid_encoding"),
        ("deploys/dt=2026-04-23/cd-bad.csv", 4, "invalid_encoding"),
        ("roster/roster_2026-04-20.csv", 12, "invalid_encoding"),
    ]
    texts = [
        r[0]
        for r in con.execute(
            "SELECT raw_text FROM raw.quarantined_records WHERE reason = 'invalid_encoding' "
            "ORDER BY source_file"
        ).fetchall()
    ]
    assert "caf\\xe9" in texts[0] and "Jos\\xe9" in texts[2]
    everything = con.execute(
        "SELECT string_agg(service, '') FROM raw.deploy_records UNION ALL "
        "SELECT string_agg(raw_text, '') FROM raw.quarantined_records"
    ).fetchall()
    assert not any("\ufffd" in (text or "") for (text,) in everything)
    assert con.execute(
        "SELECT service FROM raw.deploy_records WHERE source_file LIKE '%cd-latin1%' ORDER BY 1"
    ).fetchall() == [("api",), ("ap\u00ef",)]


def test_invalid_utf8_usage_line_is_invalid_encoding(con, tmp_path):
    good = write_usage(tmp_path, DAY, "gw.jsonl.gz", [usage_record("a"), usage_record("b")])
    text = gzip.decompress(good.read_bytes()).replace(b'"b"', b'"b\xff"')
    good.write_bytes(gzip.compress(text))
    load_usage(con, tmp_path)
    assert quarantined(con) == [("usage/dt=2026-04-07/gw.jsonl.gz", 2, "invalid_encoding")]
    assert '"b\\xff"' in con.execute("SELECT raw_text FROM raw.quarantined_records").fetchone()[0]


@pytest.mark.parametrize(
    ("timestamp", "accepted"),
    [
        ("2026-04-07T09:30:00+99:99", False),
        ("2026-04-07T09:30:00+15:00", False),
        ("2026-04-07T09:30:00+14:01", False),
        ("2026-04-07T09:30:00-12:30", False),
        ("2026-04-07T09:30:00-13:00", False),
        ("2026-04-07T09:30:00+05:60", False),
        ("2026-04-07T09:30:00+0575", False),
        ("2026-04-07T09:30:00+14:00", True),
        ("2026-04-07T09:30:00-12:00", True),
        ("2026-04-07T09:30:00+0545", True),
        ("2026-04-07T09:30:00-09:30", True),
    ],
)
def test_utc_offsets_outside_the_world_are_invalid(con, tmp_path, timestamp, accepted):
    write_usage(tmp_path, DAY, "gw.jsonl.gz", [usage_record("t", timestamp=timestamp)])
    write_deploys(tmp_path, DAY, "cd.csv", [deploy_row("d", finished_at=timestamp)])
    load_usage(con, tmp_path)
    load_deploys(con, tmp_path)
    assert [r for _, _, r in quarantined(con)] == ([] if accepted else ["invalid_timestamp"] * 2)


def test_the_conformance_offset_of_fifteen_hours_is_invalid(con, conformance_plus):
    extract_all(con, str(conformance_plus))
    assert ("usage/dt=2026-04-15/gw-bad.jsonl.gz", 8, "invalid_timestamp") in quarantined(con)
    assert not con.execute(
        "SELECT * FROM raw.usage_requests WHERE request_id = 'tz-bad'"
    ).fetchall()


def test_roster_with_utf8_bom_loads(con, tmp_path):
    # spreadsheet exports start with a byte-order mark; it is not part of the header
    write_text(
        tmp_path,
        "roster/roster_2026-04-06.csv",
        "\ufeff" + ROSTER_HEADER + "\np1,p1@example.com,Ada,other,L4,t1,T,O,m1,Dublin,active,,,\n",
    )
    result = load_roster(con, LandingZone(str(tmp_path)))
    assert (result.rows_loaded, result.rows_quarantined, result.files_quarantined) == (1, 0, 0)
