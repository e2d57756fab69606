"""Usage extraction: every line loaded or quarantined with the contract's reason."""

import datetime as dt
import gzip

from orchestration.extract import USAGE
from tests.extract_helpers import day_loader, quarantined
from tests.landing_builder import usage_record, write_usage

DAY = "2026-04-07"


load = day_loader(USAGE, DAY)


def loaded_ids(con):
    return [
        r[0]
        for r in con.execute(
            "SELECT request_id FROM raw.usage_requests ORDER BY line_number"
        ).fetchall()
    ]


def with_usage(**counts):
    base = usage_record("x")["usage"]
    return {**base, **counts}


BAD_LINES = [
    ('{"request_id": "cut", ', "invalid_json"),
    ("", "invalid_json"),
    ("[1, 2]", "invalid_json"),
    (usage_record("no-email", user_email=None), "missing_field"),
    ({k: v for k, v in usage_record("no-model").items() if k != "model"}, "missing_field"),
    ({k: v for k, v in usage_record("no-usage").items() if k != "usage"}, "missing_field"),
    (usage_record("str-count", usage=with_usage(input_tokens="12")), "wrong_type"),
    (usage_record("float-count", usage=with_usage(output_tokens=1.5)), "wrong_type"),
    (usage_record("na-count", usage=with_usage(cache_read_input_tokens="n/a")), "wrong_type"),
    (usage_record("num-email", user_email=42), "wrong_type"),
    (usage_record("neg", usage=with_usage(output_tokens=-1)), "negative_count"),
    (usage_record("bad-status", status="timeout"), "invalid_value"),
    (usage_record("bad-tier", service_tier="priority"), "invalid_value"),
    (usage_record("neg-latency", latency_ms=-5), "invalid_value"),
    (usage_record("no-offset", timestamp="2026-04-07T10:00:00"), "invalid_timestamp"),
    (usage_record("garbage-ts", timestamp="yesterday"), "invalid_timestamp"),
    (usage_record("month-13", timestamp="2026-13-01T00:00:00Z"), "invalid_timestamp"),
    (usage_record("future", timestamp="2026-04-09T00:00:00Z"), "timestamp_after_delivery"),
]


def test_each_bad_line_is_quarantined_with_its_reason_and_good_lines_load(con, tmp_path):
    good = [
        usage_record("ok-1"),
        usage_record("ok-minimal", agent_id=None),
        # Optional fields may be absent; unknown fields are ignored.
        {
            k: v
            for k, v in usage_record("ok-sparse", extra="ignored").items()
            if k not in ("agent_id", "session_id", "service_tier", "latency_ms")
        },
        usage_record("ok-next-day", timestamp="2026-04-08T23:59:59+00:00"),
        usage_record("ok-offset", timestamp="2026-04-08T01:30:00+03:00"),
    ]
    lines = [good[0], *[line for line, _ in BAD_LINES], *good[1:]]
    write_usage(tmp_path, DAY, "gw-0.jsonl.gz", lines)

    result = load(con, tmp_path)

    expected = [
        ("usage/dt=2026-04-07/gw-0.jsonl.gz", i + 2, reason)
        for i, (_, reason) in enumerate(BAD_LINES)
    ]
    assert quarantined(con) == expected
    assert loaded_ids(con) == ["ok-1", "ok-minimal", "ok-sparse", "ok-next-day", "ok-offset"]
    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (
        len(lines),
        5,
        len(BAD_LINES),
    )
    assert all(f.balanced for f in result.files)


def test_timestamps_are_utc_and_defaults_apply(con, tmp_path):
    write_usage(
        tmp_path,
        DAY,
        "a.jsonl.gz",
        [
            usage_record("tz", timestamp="2026-04-07T00:45:00+03:00"),
            {k: v for k, v in usage_record("no-tier").items() if k != "service_tier"},
            usage_record("upper", status="SUCCESS", service_tier="Batch"),
        ],
    )
    load(con, tmp_path)
    rows = con.execute(
        "SELECT request_id, requested_at, service_tier, status FROM raw.usage_requests ORDER BY line_number"
    ).fetchall()
    assert rows[0][1] == dt.datetime(2026, 4, 6, 21, 45)  # late evening of the previous UTC day
    assert rows[1][2] is None  # absent: staging applies the `standard` default
    assert rows[2][2:] == ("batch", "success")


def test_late_events_keep_their_own_day(con, tmp_path):
    write_usage(
        tmp_path, DAY, "late.jsonl.gz", [usage_record("late", timestamp="2026-04-04T09:00:00Z")]
    )
    load(con, tmp_path)
    assert con.execute("SELECT dt, requested_at::DATE FROM raw.usage_requests").fetchall() == [
        (dt.date(2026, 4, 7), dt.date(2026, 4, 4))
    ]


def test_duplicates_are_all_kept_in_raw_with_their_position(con, tmp_path):
    write_usage(
        tmp_path, DAY, "gw-fix-1.jsonl.gz", [usage_record("dup", usage=with_usage(input_tokens=1))]
    )
    write_usage(
        tmp_path, DAY, "gw-fix-2.jsonl.gz", [usage_record("dup", usage=with_usage(input_tokens=2))]
    )
    load(con, tmp_path)
    assert con.execute(
        "SELECT source_file, input_tokens FROM raw.usage_requests ORDER BY source_file"
    ).fetchall() == [
        ("usage/dt=2026-04-07/gw-fix-1.jsonl.gz", 1),
        ("usage/dt=2026-04-07/gw-fix-2.jsonl.gz", 2),
    ]


def test_redelivered_file_is_recognised_by_content_hash(con, tmp_path):
    lines = [usage_record("a"), usage_record("b")]
    write_usage(tmp_path, DAY, "gw-0.jsonl.gz", lines)
    # Same content, other name and another gzip header: still the same delivery.
    text = "".join(__import__("json").dumps(x) + "\n" for x in lines).encode()
    (tmp_path / "usage" / f"dt={DAY}" / "gw-0-again.jsonl.gz").write_bytes(
        gzip.compress(text, mtime=12345)
    )
    load(con, tmp_path)
    hashes = con.execute(
        "SELECT source_file, content_sha256 FROM raw.landing_files ORDER BY 1"
    ).fetchall()
    assert len(hashes) == 2 and hashes[0][1] == hashes[1][1]


def test_truncated_gzip_quarantines_the_file_and_the_others_load(con, tmp_path):
    big = [usage_record(f"r{i}") for i in range(2000)]
    path = write_usage(tmp_path, DAY, "gw-1.jsonl.gz", big)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    write_usage(tmp_path, DAY, "gw-2.jsonl.gz", [usage_record("fine")])
    (tmp_path / "usage" / f"dt={DAY}" / "gw-3.jsonl.gz").write_bytes(b"this is not gzip")

    result = load(con, tmp_path)

    assert con.execute(
        "SELECT source_file, line_number, reason FROM raw.quarantined_records ORDER BY 1"
    ).fetchall() == [
        ("usage/dt=2026-04-07/gw-1.jsonl.gz", None, "truncated_gzip"),
        ("usage/dt=2026-04-07/gw-3.jsonl.gz", None, "unreadable_file"),
    ]
    assert loaded_ids(con) == ["fine"]
    assert result.files_quarantined == 2
    assert all(f.balanced for f in result.files)


def test_plain_jsonl_and_empty_partition(con, tmp_path):
    write_usage(tmp_path, DAY, "plain.jsonl", [usage_record("p")], compress=False)
    (tmp_path / "usage" / "dt=2026-04-08").mkdir(parents=True)
    load(con, tmp_path)
    empty = load(con, tmp_path, "2026-04-08")
    assert loaded_ids(con) == ["p"]
    assert empty.files == []


def test_type_drift_deep_inside_a_large_file_is_one_rejected_line(con, tmp_path, monkeypatch):
    # Small blocks force several batches, so the drifting line sits in a later one.
    monkeypatch.setattr("orchestration.extract.readers.BLOCK_BYTES", 4096)
    lines = [usage_record(f"r{i}") for i in range(500)]
    lines[437] = usage_record("drift", usage=with_usage(input_tokens="12"))
    write_usage(tmp_path, DAY, "gw.jsonl.gz", lines)
    result = load(con, tmp_path)
    assert quarantined(con) == [("usage/dt=2026-04-07/gw.jsonl.gz", 438, "wrong_type")]
    assert result.rows_loaded == 499
    assert con.execute("SELECT max(line_number) FROM raw.usage_requests").fetchone()[0] == 500
