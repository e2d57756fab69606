"""Claude Code telemetry extraction (otel/): every log record loaded, skipped or
quarantined with its file, line, position and reason; read = loaded + skipped
+ quarantined per file; duplicates, re-delivery and a collector re-send."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import hashlib
import json
import shutil
from pathlib import Path

from data_quality.config import DQConfig
from data_quality.core import Scope
from data_quality.landing_accounting import landing_files_balanced
from orchestration.extract import OTEL, load_partition, record_ignored_files
from orchestration.landing import LandingZone
from tests.extract_helpers import day_loader

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "otel"
DAY = "2026-04-07"
FIRST = f"otel/dt={DAY}/claude_code-2026-04-07T10-30-00.000.jsonl"
RESENT = f"otel/dt={DAY}/claude_code-2026-04-07T12-00-00.000.jsonl"


load = day_loader(OTEL, DAY)


def fixture_landing(tmp_path) -> Path:
    root = tmp_path / "landing"
    shutil.copytree(FIXTURES, root / "otel")
    return root


def write_lines(root: Path, name: str, lines: list, day: str = DAY) -> str:
    """Write OTLP/JSON lines (dicts are serialised, str/bytes written as they are)."""
    folder = root / "otel" / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    data = b"".join(
        (
            line
            if isinstance(line, bytes)
            else (line if isinstance(line, str) else json.dumps(line)).encode()
        )
        + b"\n"
        for line in lines
    )
    path = folder / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return f"otel/dt={day}/{name}"


def s(key, value):
    return {"key": key, "value": {"stringValue": value}}


def attr(key, any_value: dict):
    return {"key": key, "value": any_value}


def api_request(n: int = 0, **overrides) -> dict:
    """One api_request log record as Claude Code sends it (every attribute a
    stringValue); `overrides` replace attributes by key (None removes one)."""
    attributes = {
        "event.name": s("event.name", "api_request"),
        "event.timestamp": s("event.timestamp", f"{DAY}T10:00:{n % 60:02d}.000Z"),
        "session.id": s("session.id", "ses-1"),
        "user.email": s("user.email", "ada@example.com"),
        "user.account_uuid": s("user.account_uuid", "8f14e45f-ceea-4d67-a0b5-1c7e2a9d3b61"),
        "model": s("model", "claude-sonnet-4-5"),
        "cost_usd": s("cost_usd", "0.01"),
        "input_tokens": s("input_tokens", str(100 + n)),
        "output_tokens": s("output_tokens", "10"),
        "cache_read_tokens": s("cache_read_tokens", "0"),
        "cache_creation_tokens": s("cache_creation_tokens", "0"),
    }
    for key, value in overrides.items():
        key = key.replace("__", ".")
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = attr(key, value) if isinstance(value, dict) else s(key, value)
    return {
        "timeUnixNano": "1775556000000000000",
        "body": {"stringValue": "claude_code.api_request"},
        "attributes": list(attributes.values()),
    }


def event(name: str, **extra) -> dict:
    return {
        "timeUnixNano": "1775556000000000000",
        "body": {"stringValue": f"claude_code.{name}"},
        "attributes": [
            s("event.name", name),
            s("event.timestamp", f"{DAY}T10:00:00.000Z"),
            s("session.id", "ses-1"),
            s("user.email", "ada@example.com"),
            *(s(k, v) for k, v in extra.items()),
        ],
    }


def request(*records, resource: list | None = None) -> dict:
    """One ExportLogsServiceRequest (one line of the file exporter)."""
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": resource or [s("service.name", "claude-code")]},
                "scopeLogs": [
                    {
                        "scope": {"name": "com.anthropic.claude_code.events"},
                        "logRecords": list(records),
                    }
                ],
            }
        ]
    }


def rows(con, columns="line_number, record_index, event_name, request_id"):
    return con.execute(
        f"SELECT {columns} FROM raw.claude_code_api_requests ORDER BY source_file, line_number, record_index"
    ).fetchall()


def quarantined(con):
    return con.execute(
        "SELECT source_file, line_number, reason, detail FROM raw.quarantined_records "
        "ORDER BY source_file, line_number, detail"
    ).fetchall()


def accounting(con):
    return {
        f: (read, loaded, skipped, rejected)
        for f, read, loaded, skipped, rejected in con.execute(
            "SELECT source_file, lines_read, rows_loaded, rows_skipped, rows_quarantined "
            "FROM raw.landing_files WHERE table_name = 'claude_code_api_requests'"
        ).fetchall()
    }


def expected_request_id(session, timestamp, model, *counts) -> str:
    text = "|".join([session, timestamp, model, *(str(c) for c in counts)])
    return "cc-" + hashlib.sha256(text.encode()).hexdigest()[:32]


def test_hand_written_fixtures_load_usage_skip_other_events_and_balance(con, tmp_path):
    result = load(con, fixture_landing(tmp_path))
    # 5 records on line 1 (user_prompt, api_request, tool_decision, tool_result,
    # api_request) and 2 on line 2 (api_error, api_request); the second file
    # re-sends line 2 and adds one record that has no event.timestamp.
    assert accounting(con) == {FIRST: (7, 4, 3, 0), RESENT: (3, 3, 0, 0)}
    assert all(f.balanced for f in result.files)
    assert result.rows_skipped == 3
    assert quarantined(con) == []
    loaded = rows(
        con,
        "line_number, record_index, event_name, requested_at, user_email, account_uuid, "
        "session_id, model, input_tokens, output_tokens, cache_read_tokens, "
        "cache_creation_tokens, cost_usd, error",
    )
    ada = ("ada.lovelace@example.com", "8f14e45f-ceea-4d67-a0b5-1c7e2a9d3b61")
    ada_session = "ses-1f6c0c8e-4a57-4c1e-9d0e-2b1f3c5a7e90"
    grace = ("grace.hopper@example.com", "3c59dc04-8e7f-4a1b-9d2c-5e6f7a8b9c0d")
    grace_session = "ses-6a2d9b14-0c3f-4e85-b7a1-93d5e8f2c406"
    at = dt.datetime.fromisoformat
    error = (2, 0, "api_error", at("2026-04-07 10:03:15.550"), *grace, grace_session,
             "claude-opus-4-1", 0, 0, 0, 0, None, "Request timed out.")  # fmt: skip
    opus = (2, 1, "api_request", at("2026-04-07 10:03:58.020"), *grace, grace_session,
            "claude-opus-4-1", 2150, 1930, 15320, 4096, 0.3366, None)  # fmt: skip
    assert loaded == [
        # stringValue counts and cost (what Claude Code sends)
        (
            1,
            1,
            "api_request",
            at("2026-04-07 09:12:38.907"),
            *ada,
            ada_session,
            "claude-sonnet-4-5",
            1200,
            350,
            8000,
            0,
            0.0101,
            None,
        ),
        # intValue as a string of digits and as a JSON number; doubleValue cost
        (
            1,
            4,
            "api_request",
            at("2026-04-07 09:12:44.263"),
            *ada,
            ada_session,
            "claude-haiku-4-5",
            300,
            45,
            0,
            2048,
            0.0007,
            None,
        ),
        # the email only on the resource: looked up there
        error,
        opus,
        (1, 0, *error[2:]),
        (1, 1, *opus[2:]),
        # no event.timestamp: the record's timeUnixNano
        (
            2,
            0,
            "api_request",
            at("2026-04-07 11:20:00.250"),
            None,
            "c4ca4238-a0b9-4382-8dcc-509a6f75849b",
            "ses-0b8e7c6d-5a49-4382-a1b0-c9d8e7f6a5b4",
            "claude-sonnet-4-5",
            800,
            120,
            0,
            0,
            0.0042,
            None,
        ),
    ]
    ids = dict(
        ((line, index), request_id)
        for line, index, _, request_id in rows(con)[:2]  # the first file's line 1
    )
    assert ids[(1, 1)] == expected_request_id(
        ada_session, "2026-04-07T09:12:38.907Z", "claude-sonnet-4-5", 1200, 350, 8000, 0
    )
    assert ids[(1, 4)] == expected_request_id(
        ada_session, "2026-04-07T09:12:44.263Z", "claude-haiku-4-5", 300, 45, 0, 2048
    )
    # counts an api_error does not carry are empty in its request_id
    (error_id,) = con.execute(
        "SELECT DISTINCT request_id FROM raw.claude_code_api_requests WHERE event_name = 'api_error'"
    ).fetchone()
    assert error_id == expected_request_id(
        grace_session, "2026-04-07T10:03:15.550Z", "claude-opus-4-1", "", "", "", ""
    )
    # timeUnixNano as delivered is the timestamp of the request_id
    (nanos_id,) = con.execute(
        "SELECT request_id FROM raw.claude_code_api_requests WHERE user_email IS NULL"
    ).fetchone()
    assert nanos_id == expected_request_id(
        "ses-0b8e7c6d-5a49-4382-a1b0-c9d8e7f6a5b4", "1775560800250000000",
        "claude-sonnet-4-5", 800, 120, 0, 0,
    )  # fmt: skip
    assert con.execute("SELECT * FROM raw.usage_days_to_rebuild").fetchall() == [
        (dt.date(2026, 4, 7),)
    ]


def test_a_collector_re_send_lands_twice_in_raw_with_the_same_request_ids(con, tmp_path):
    load(con, fixture_landing(tmp_path))
    by_file = {}
    for source_file, line, request_id in con.execute(
        "SELECT source_file, line_number, request_id FROM raw.claude_code_api_requests "
        "ORDER BY line_number, record_index"
    ).fetchall():
        by_file.setdefault((source_file, line), []).append(request_id)
    # The batch of the first file's line 2 came again as the second file's line 1:
    # both copies are in raw (each file's accounting is whole), under one request_id
    # each, so the usage model, which keeps one copy per request_id, counts it once.
    assert by_file[(FIRST, 2)] == by_file[(RESENT, 1)]
    assert len(set(by_file[(FIRST, 2)])) == 2
    copies = con.execute(
        "SELECT count(*), count(DISTINCT request_id) FROM raw.claude_code_api_requests"
    ).fetchone()
    assert copies == (7, 5)
    assert accounting(con)[RESENT] == (3, 3, 0, 0)


def test_duplicates_within_a_partition_keep_one_request_id(con, tmp_path):
    root = tmp_path / "landing"
    same = api_request(1)
    write_lines(root, "a.jsonl", [request(same), request(copy.deepcopy(same))])
    # The same request with its counts encoded differently is the same request.
    as_int = api_request(1, input_tokens={"intValue": "101"}, output_tokens={"intValue": 10})
    write_lines(root, "b.jsonl.gz", [request(as_int)])
    load(con, root)
    ids = [r[3] for r in rows(con)]
    assert len(ids) == 3 and len(set(ids)) == 1
    assert accounting(con) == {
        f"otel/dt={DAY}/a.jsonl": (2, 2, 0, 0),
        f"otel/dt={DAY}/b.jsonl.gz": (1, 1, 0, 0),
    }


def line_with_bad_utf8() -> bytes:
    return json.dumps(request(api_request(0))).encode().replace(b"ses-1", b"ses-\xff")


# One record per line unless noted: (line, expected reason, detail fragment).
BAD_LINES = [
    ('{"resourceLogs": [', "invalid_json", "not valid JSON"),
    ("", "invalid_json", "not valid JSON"),
    ("[1, 2]", "invalid_json", "not a JSON object"),
    (line_with_bad_utf8(), "invalid_encoding", "not valid UTF-8"),
    ({"resourceLogs": "oops"}, "invalid_json", "resourceLogs is not an array"),
    (
        {"resourceLogs": [{"scopeLogs": {"logRecords": []}}]},
        "invalid_json",
        "scopeLogs is not an array",
    ),
    (
        {"resourceLogs": [{"scopeLogs": [{"logRecords": [api_request(0)]}, {"logRecords": 7}]}]},
        "invalid_json",
        "scopeLogs[*].logRecords is not an array (the line held 1 log records)",
    ),
    (request(api_request(0), "a string"), "invalid_json", "record 1 of line"),
    (
        request({**api_request(0), "attributes": {"model": "x"}}),
        "invalid_json",
        "attributes is not an array",
    ),
    (request(api_request(0, model=None)), "missing_field", "model is missing"),
    (request(api_request(0, input_tokens=None)), "missing_field", "input_tokens is missing"),
    (
        request(api_request(0, user__email=None, user__account_uuid=None)),
        "missing_field",
        "user.email or user.account_uuid is missing",
    ),
    (
        request({**api_request(0, event__name=None), "body": {"stringValue": ""}}),
        "missing_field",
        "event.name is missing",
    ),
    (
        request({**api_request(0, event__timestamp=None), "timeUnixNano": "0"}),
        "missing_field",
        "timestamp is missing",
    ),
    (request(api_request(0, input_tokens={"doubleValue": 1.5})), "wrong_type", "input_tokens"),
    (request(api_request(0, output_tokens="n/a")), "wrong_type", "output_tokens"),
    (request(api_request(0, cache_read_tokens={"intValue": "1.5"})), "wrong_type", "cache_read"),
    (request(api_request(0, cache_creation_tokens={"boolValue": True})), "wrong_type", "cache_cr"),
    (request(api_request(0, model={"intValue": "4"})), "wrong_type", "model"),
    (request(api_request(0, cost_usd="about a cent")), "wrong_type", "cost_usd"),
    (request(api_request(0, event__name={"intValue": 3})), "wrong_type", "event.name"),
    (request(api_request(0, input_tokens={"intValue": "-5"})), "negative_count", "input_tokens"),
    (request(api_request(0, output_tokens="1000000000001")), "out_of_range", "output_tokens"),
    (request(api_request(0, cost_usd={"doubleValue": -0.5})), "invalid_value", "cost_usd"),
    (
        request(api_request(0, event__timestamp="2026-04-07T10:00:00")),
        "invalid_timestamp",
        "offset",
    ),
    (request(api_request(0, event__timestamp="yesterday")), "invalid_timestamp", "yesterday"),
    (
        request({**api_request(0, event__timestamp=None), "timeUnixNano": "soon"}),
        "invalid_timestamp",
        "soon",
    ),
    (
        request(api_request(0, event__timestamp="2026-04-09T00:00:00Z")),
        "timestamp_after_delivery",
        "more than one day after",
    ),
    (
        request(api_request(0, event__timestamp="2024-12-31T23:59:59Z")),
        "timestamp_before_partitions",
        "before the first partition day",
    ),
]


def test_each_bad_line_or_record_is_quarantined_with_its_reason(con, tmp_path):
    root = tmp_path / "landing"
    good = [
        request(api_request(1)),
        # an api_error carries no token counts: they load as 0
        request(
            event("api_error", model="claude-opus-4-1", error="overloaded", status_code="529"),
            event("tool_result", tool_name="Bash", success="false"),
        ),
        # only the account uuid identifies the user; an unknown event is skipped too
        request(api_request(2, user__email=None), event("hook_execution_start")),
        # the event name may come from the body alone
        request(api_request(3, event__name=None)),
        # empty requests and containers are valid OTLP/JSON holding no record
        {},
        {"resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {}, "logRecords": []}]}]},
    ]
    lines = good + [line for line, _, _ in BAD_LINES]
    relative = write_lines(root, "mixed.jsonl", lines)
    result = load(con, root)

    first_bad = len(good) + 1
    got = quarantined(con)
    assert [(line, reason) for _, line, reason, _ in got] == [
        (first_bad + i, reason) for i, (_, reason, _) in enumerate(BAD_LINES)
    ]
    for (_, line, _, detail), (_, _, fragment) in zip(got, BAD_LINES, strict=True):
        assert fragment in detail, (line, detail)
    # A record's position is in its detail; a whole line names no record.
    assert got[-1][3].startswith(f"record 0 of line {first_bad + len(BAD_LINES) - 1}: ")
    assert not got[0][3].startswith("record ")
    assert rows(con, "line_number, record_index, event_name, input_tokens, output_tokens") == [
        (1, 0, "api_request", 101, 10),
        (2, 0, "api_error", 0, 0),
        (3, 0, "api_request", 102, 10),
        (4, 0, "api_request", 103, 10),
        # the line of two records whose second is a string: the first loads
        (first_bad + 7, 0, "api_request", 100, 10),
    ]
    # 4 usage + 2 skipped records on the good lines, 1 usage record beside a bad
    # one; every bad line or record counts once
    records = 4 + 2 + len(BAD_LINES) + 1
    assert accounting(con) == {relative: (records, 5, 2, len(BAD_LINES))}
    assert result.files[0].balanced
    outcome = landing_files_balanced(con, DQConfig(), Scope())
    assert outcome.passed, outcome.summary


def test_re_running_a_partition_replaces_it_and_corrections_withdraw_rows(con, tmp_path):
    root = fixture_landing(tmp_path)
    load(con, root)

    def snapshot():
        return {
            table: con.execute(f"SELECT * FROM raw.{table} ORDER BY ALL").fetchall()
            for table in ("claude_code_api_requests", "quarantined_records", "landing_files")
        }

    first = snapshot()
    load(con, root)
    load(con, root)
    assert snapshot() == first

    # The re-sent file is withdrawn (deleted) and the partition run again.
    (root / RESENT).unlink()
    con.execute("DELETE FROM raw.usage_days_to_rebuild")
    load(con, root)
    assert set(accounting(con)) == {FIRST}
    assert con.execute(
        "SELECT count(*), count(DISTINCT request_id) FROM raw.claude_code_api_requests"
    ).fetchone() == (4, 4)
    # The withdrawn rows' day is rebuilt.
    assert con.execute("SELECT DISTINCT usage_date FROM raw.usage_days_to_rebuild").fetchall() == [
        (dt.date(2026, 4, 7),)
    ]


def test_a_truncated_gzip_file_is_quarantined_whole_and_the_others_load(con, tmp_path):
    root = fixture_landing(tmp_path)
    broken = root / "otel" / f"dt={DAY}" / "claude_code-broken.jsonl.gz"
    broken.write_bytes(gzip.compress(json.dumps(request(api_request(0))).encode() * 50)[:-20])
    result = load(con, root)
    faults = {f.source_file: f.fault for f in result.files}
    assert faults[f"otel/dt={DAY}/claude_code-broken.jsonl.gz"] == "truncated_gzip"
    assert accounting(con)[FIRST] == (7, 4, 3, 0)
    assert con.execute(
        "SELECT reason FROM raw.quarantined_records WHERE line_number IS NULL"
    ).fetchall() == [("truncated_gzip",)]


def test_the_landing_zone_reads_otel_partitions_and_lists_what_it_does_not_read(con, tmp_path):
    root = fixture_landing(tmp_path)
    (root / "otel" / f"dt={DAY}" / "collector.log").write_text("started\n")
    (root / "otel" / "claude_code.jsonl").write_text("{}\n")  # the live file, outside dt=
    (root / "otel" / "dt=someday").mkdir()
    (root / "otel" / "dt=someday" / "a.jsonl").write_text("{}\n")
    zone = LandingZone(str(root))
    assert zone.partitions("otel") == [dt.date(2026, 4, 7)]
    assert zone.partition_files("otel", dt.date(2026, 4, 7)) == [FIRST, RESENT]
    ignored = {(f.source_file, f.source, f.reason) for f in record_ignored_files(con, zone)}
    assert ignored == {
        (f"otel/dt={DAY}/collector.log", "otel", "unexpected_suffix"),
        ("otel/claude_code.jsonl", "otel", "unexpected_place"),
        ("otel/dt=someday/a.jsonl", "otel", "invalid_partition_folder"),
    }
    assert con.execute(
        "SELECT count(*) FROM raw.landing_files WHERE file_status = 'ignored' AND rows_skipped = 0"
    ).fetchone() == (3,)


def test_a_generated_organisation_s_telemetry_loads_as_its_truth_says(con, tmp_path):
    from sample_data import generate_landing

    root = tmp_path / "generated"
    truth = generate_landing(
        out=str(root), employees=40, days=4, sources="gateway,otel", progress=False
    )
    expected = truth["usage"]["by_source"]["claude_code"]
    zone = LandingZone(str(root))
    files = [
        f for day in zone.partitions("otel") for f in load_partition(con, zone, OTEL, day).files
    ]
    assert all(f.balanced and f.file_status == "loaded" for f in files)
    assert len(files) == expected["files"]
    assert sum(f.lines_read for f in files) == expected["records"]
    assert sum(f.rows_skipped for f in files) == expected["skipped_records"]
    assert sum(f.rows_loaded for f in files) == expected["requests"]
    assert con.execute(
        "SELECT count(DISTINCT request_id), count(*) FILTER (WHERE event_name = 'api_error') "
        "FROM raw.claude_code_api_requests"
    ).fetchone() == (expected["requests"], expected["error_requests"])
