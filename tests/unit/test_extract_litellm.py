"""LiteLLM spend logs: every row loaded or quarantined with the contract's reason,
input tokens derived from OpenAI-style counts, partitions replaced idempotently."""

import datetime as dt
import json
import shutil

import duckdb

from orchestration.extract import LITELLM, load_partition
from orchestration.extract.store import LITELLM_COLUMNS, LITELLM_TABLE
from orchestration.landing import LandingZone
from tests.extract_helpers import day_loader
from tests.extract_helpers import quarantined as quarantined_rows
from tests.litellm_copilot_builder import (
    LITELLM_FIXTURE,
    fixture_rows,
    litellm_row,
    without,
    write_lines,
)

DAY = "2026-04-07"
FILE = f"litellm/dt={DAY}/spend.jsonl.gz"


load = day_loader(LITELLM, DAY)


def write(root, lines, name="spend.jsonl.gz", day=DAY):
    return write_lines(root, "litellm", day, name, lines)


def quarantined(con):
    return quarantined_rows(con, "litellm")


def queued_days(con):
    return sorted(
        d
        for (d,) in con.execute(
            "SELECT DISTINCT usage_date FROM raw.usage_days_to_rebuild"
        ).fetchall()
    )


def test_the_source_fills_exactly_the_raw_contract_columns():
    assert LITELLM.table == LITELLM_TABLE
    assert sorted(LITELLM.raw_columns) == sorted(LITELLM_COLUMNS)


def test_fixture_export_loads_every_row_as_delivered(con, tmp_path):
    shutil.copytree(LITELLM_FIXTURE.parent, tmp_path / "litellm" / f"dt={DAY}")

    result = load(con, tmp_path)

    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (6, 6, 0)
    rows = con.execute(
        "SELECT request_id, start_time, litellm_user, model, status, request_tags, agent_id, "
        "prompt_tokens, completion_tokens, cache_read_input_tokens, "
        "cache_creation_input_tokens, input_tokens, spend "
        f"FROM raw.{LITELLM_TABLE} ORDER BY line_number"
    ).fetchall()
    by_id = {r[0][:17]: r[1:] for r in rows}
    # metadata as an object: input = prompt - cache_read - cache_creation
    assert by_id["chatcmpl-5b0e7c7e"] == (
        dt.datetime(2026, 4, 6, 8, 0, 0, 412000),  # no offset: UTC
        "amara@maps-ads.example",
        "claude-sonnet-4-5",
        "success",
        '["ide_assistant"]',
        None,
        12480,
        612,
        10240,
        760,
        1480,
        0.019542,
    )
    # metadata as a JSON string; the provider prefix is kept (staging strips it)
    assert by_id["chatcmpl-8e41d0b2"][2:4] == ("anthropic/claude-sonnet-4-5", "success")
    assert by_id["chatcmpl-8e41d0b2"][6:11] == (2000, 400, 0, 0, 2000)
    # a failed call: status as delivered, usage_object null, so no cached tokens
    assert by_id["chatcmpl-1d7f3a9e"][1:4] == ("u-bo-4f2a", "claude-sonnet-4-5", "failure")
    assert by_id["chatcmpl-1d7f3a9e"][6:11] == (0, 0, 0, 0, 0)
    # cache_creation_input_tokens absent from usage_object counts as 0
    assert by_id["chatcmpl-6a2c8e04"][8:11] == (5000, 0, 1000)
    # an empty `user` is no user; the agent and the tags are kept
    assert by_id["chatcmpl-c7b95e31"][1:6] == (
        None,
        "bedrock/anthropic.claude-opus-4-1-20250805-v1:0",
        "success",
        '["meshclaw","agent:release-notes"]',
        "agt_release_notes",
    )
    # a late row keeps its own day, and its user as delivered (case and all)
    assert by_id["chatcmpl-2f6d0a8c"][0] == dt.datetime(2026, 4, 4, 17, 45, 20, 90000)
    assert by_id["chatcmpl-2f6d0a8c"][1] == "Amara@Maps-Ads.example"
    assert queued_days(con) == [dt.date(2026, 4, 4), dt.date(2026, 4, 6)]


def test_metadata_as_object_or_as_string_loads_the_same_counts(con, tmp_path):
    as_object = litellm_row("obj", metadata_usage={"cache_read_input_tokens": 300})
    as_string = litellm_row("str", metadata_usage={"cache_read_input_tokens": 300})
    as_string["metadata"] = json.dumps(as_string["metadata"])
    no_usage = litellm_row("none", metadata={"user_api_key_alias": "k"})
    no_metadata = without(litellm_row("absent"), "metadata")
    null_metadata = litellm_row("null", metadata=None)
    write(tmp_path, [as_object, as_string, no_usage, no_metadata, null_metadata])

    load(con, tmp_path)

    assert con.execute(
        "SELECT request_id, cache_read_input_tokens, cache_creation_input_tokens, input_tokens "
        f"FROM raw.{LITELLM_TABLE} ORDER BY line_number"
    ).fetchall() == [
        ("obj", 300, 760, 12480 - 300 - 760),
        ("str", 300, 760, 12480 - 300 - 760),
        ("none", 0, 0, 12480),
        ("absent", 0, 0, 12480),
        ("null", 0, 0, 12480),
    ]


BAD_LINES = [
    ('{"request_id": "cut", "startTime": ', "invalid_json"),
    ('["not", "an", "object"]', "invalid_json"),
    (litellm_row(None), "missing_field"),
    (without(litellm_row("no-start"), "startTime"), "missing_field"),
    (litellm_row("empty-model", model=""), "missing_field"),
    (without(litellm_row("no-prompt"), "prompt_tokens"), "missing_field"),
    (litellm_row("str-prompt", prompt_tokens="12480"), "wrong_type"),
    (litellm_row("float-completion", completion_tokens=1.5), "wrong_type"),
    (litellm_row("na-cache", metadata_usage={"cache_read_input_tokens": "n/a"}), "wrong_type"),
    (litellm_row("text-metadata", metadata="not json"), "wrong_type"),
    (litellm_row("array-metadata", metadata="[1, 2]"), "wrong_type"),
    (litellm_row("object-tags", request_tags={"client": "chat"}), "wrong_type"),
    (litellm_row("number-user", user=42), "wrong_type"),
    (litellm_row("text-spend", spend="0.01"), "wrong_type"),
    (litellm_row("neg-completion", completion_tokens=-1), "negative_count"),
    (
        litellm_row("neg-cache", metadata_usage={"cache_creation_input_tokens": -5}),
        "negative_count",
    ),
    (litellm_row("huge-prompt", prompt_tokens=10**13), "out_of_range"),
    (litellm_row("neg-spend", spend=-0.01), "invalid_value"),
    (litellm_row("garbage-ts", startTime="yesterday"), "invalid_timestamp"),
    (litellm_row("month-13", startTime="2026-13-01T00:00:00"), "invalid_timestamp"),
    (litellm_row("bad-offset", startTime="2026-04-06T08:00:00+15:00"), "invalid_timestamp"),
    (litellm_row("ancient", startTime="2024-12-31T23:59:59"), "timestamp_before_partitions"),
    (litellm_row("future", startTime="2026-04-09T00:00:00.000"), "timestamp_after_delivery"),
    (
        litellm_row("cache-above-prompt", prompt_tokens=10000, metadata_usage={}),
        "inconsistent_value",
    ),
    (b'{"request_id": "latin-1 \xe9"}', "invalid_encoding"),
]


def test_each_bad_row_is_quarantined_with_its_reason_and_good_rows_load(con, tmp_path):
    good = [
        litellm_row("ok-1"),
        litellm_row("ok-offset", startTime="2026-04-07T01:30:00+03:00"),
        litellm_row("ok-space", startTime="2026-04-08 23:59:59.999"),
        # unknown columns are ignored; optional ones may be null or absent
        without(litellm_row("ok-sparse", extra="x"), "user", "api_key", "spend", "request_tags"),
        # prompt == cache_read + cache_creation: input 0 is consistent
        litellm_row("ok-all-cached", prompt_tokens=11000),
    ]
    lines = [good[0], *(line for line, _ in BAD_LINES), *good[1:]]
    write(tmp_path, lines)

    result = load(con, tmp_path)

    assert quarantined(con) == [(FILE, i + 2, reason) for i, (_, reason) in enumerate(BAD_LINES)]
    assert con.execute(
        f"SELECT request_id, start_time, input_tokens FROM raw.{LITELLM_TABLE} ORDER BY line_number"
    ).fetchall() == [
        ("ok-1", dt.datetime(2026, 4, 6, 8, 0, 0, 412000), 1480),
        ("ok-offset", dt.datetime(2026, 4, 6, 22, 30), 1480),
        ("ok-space", dt.datetime(2026, 4, 8, 23, 59, 59, 999000), 1480),
        ("ok-sparse", dt.datetime(2026, 4, 6, 8, 0, 0, 412000), 1480),
        ("ok-all-cached", dt.datetime(2026, 4, 6, 8, 0, 0, 412000), 0),
    ]
    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (
        len(lines),
        len(good),
        len(BAD_LINES),
    )
    assert all(f.balanced for f in result.files)
    detail, raw_text, key = con.execute(
        "SELECT detail, raw_text, record_key FROM raw.quarantined_records "
        "WHERE reason = 'inconsistent_value'"
    ).fetchone()
    assert detail == (
        "prompt_tokens 10000 is less than cache_read_input_tokens + "
        "cache_creation_input_tokens 11000"
    )
    assert json.loads(raw_text)["request_id"] == key == "cache-above-prompt"


def test_truncated_gzip_quarantines_the_file_and_the_others_load(con, tmp_path):
    path = write(tmp_path, [litellm_row(f"r{i}") for i in range(500)], name="a.jsonl.gz")
    path.write_bytes(path.read_bytes()[:-40])
    write(tmp_path, [litellm_row("fine")], name="b.jsonl")

    result = load(con, tmp_path)

    assert con.execute(
        "SELECT source_file, line_number, reason FROM raw.quarantined_records"
    ).fetchall() == [(f"litellm/dt={DAY}/a.jsonl.gz", None, "truncated_gzip")]
    assert con.execute(f"SELECT request_id FROM raw.{LITELLM_TABLE}").fetchall() == [("fine",)]
    assert [f.file_status for f in result.files] == ["quarantined", "loaded"]


def test_duplicates_are_all_kept_in_raw_and_every_copy_day_is_queued(con, tmp_path):
    write(tmp_path, [litellm_row("dup", prompt_tokens=12000)], name="a.jsonl.gz")
    write(tmp_path, [litellm_row("dup", prompt_tokens=13000)], name="b.jsonl.gz")
    # a copy delivered a day later, for another day
    write(
        tmp_path,
        [litellm_row("dup", startTime="2026-04-07T09:00:00")],
        name="c.jsonl.gz",
        day="2026-04-08",
    )
    load(con, tmp_path)
    load(con, tmp_path, "2026-04-08")

    assert con.execute(
        f"SELECT source_file, prompt_tokens FROM raw.{LITELLM_TABLE} ORDER BY source_file"
    ).fetchall() == [
        (f"litellm/dt={DAY}/a.jsonl.gz", 12000),
        (f"litellm/dt={DAY}/b.jsonl.gz", 13000),
        ("litellm/dt=2026-04-08/c.jsonl.gz", 12480),
    ]
    # loading dt=2026-04-08 queued the day of every copy of its request_id
    assert queued_days(con) == [dt.date(2026, 4, 6), dt.date(2026, 4, 7)]


def _snapshot(con):
    return {
        table: con.execute(
            f"SELECT * EXCLUDE (source_file), source_file FROM raw.{table} ORDER BY ALL"
        ).fetchall()
        for table in (LITELLM_TABLE, "quarantined_records", "landing_files")
    }


def test_loading_a_partition_again_changes_nothing(con, tmp_path):
    write(tmp_path, [litellm_row("a"), litellm_row("b", prompt_tokens=1), "{broken"])
    load(con, tmp_path)
    once = _snapshot(con)
    load(con, tmp_path)
    load(con, tmp_path)
    assert _snapshot(con) == once
    assert len(once[LITELLM_TABLE]) == 1 and len(once["quarantined_records"]) == 2


def test_same_content_under_another_name_is_recognised_by_content_hash(con, tmp_path):
    rows = fixture_rows(LITELLM_FIXTURE)
    write(tmp_path, rows, name="export.jsonl.gz")
    write(tmp_path, rows, name="export-again.jsonl")
    load(con, tmp_path)
    hashes = con.execute("SELECT content_sha256 FROM raw.landing_files").fetchall()
    assert len(hashes) == 2 and hashes[0] == hashes[1]


def test_a_corrected_redelivery_replaces_the_partition_and_queues_old_and_new_days(con, tmp_path):
    write(
        tmp_path,
        [
            litellm_row("keep"),
            litellm_row("moved", startTime="2026-04-05T10:00:00"),
            litellm_row("dropped", startTime="2026-04-04T10:00:00"),
            litellm_row("bad", prompt_tokens=1),
        ],
    )
    load(con, tmp_path)
    con.execute("DELETE FROM raw.usage_days_to_rebuild")  # as dbt does after a build

    # The corrected export: one row fixed, one moved to another day, one withdrawn.
    write(
        tmp_path,
        [
            litellm_row("keep"),
            litellm_row("moved", startTime="2026-04-07T10:00:00"),
            litellm_row("bad", prompt_tokens=20000),
        ],
    )
    load(con, tmp_path)
    corrected = _snapshot(con)

    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    fresh.execute("SET TimeZone = 'UTC'")
    load(fresh, tmp_path)
    assert corrected == _snapshot(fresh)
    assert sorted(r[2] for r in corrected[LITELLM_TABLE]) == ["bad", "keep", "moved"]
    assert corrected["quarantined_records"] == []
    # the withdrawn and the moved rows' old days are rebuilt, as are the new ones
    assert queued_days(con) == [dt.date(2026, 4, d) for d in (4, 5, 6, 7)]


def test_partitions_of_litellm_and_copilot_alone_set_the_run_and_a_removed_one_is_withdrawn(
    con, tmp_path
):
    from orchestration.extract import COPILOT
    from orchestration.partitions import loaded_partitions
    from orchestration.pipeline import resolve_days
    from tests.litellm_copilot_builder import copilot_row

    write(tmp_path, [litellm_row("a")])
    write_lines(tmp_path, "copilot", "2026-04-08", "report.ndjson", [copilot_row("ada")])
    zone = LandingZone(str(tmp_path))
    load(con, tmp_path)
    load_partition(con, zone, COPILOT, dt.date(2026, 4, 8))
    assert resolve_days(zone, None, None, loaded_partitions(con)) == (
        resolve_days(zone, dt.date(2026, 4, 7), dt.date(2026, 4, 8))
    )

    shutil.rmtree(tmp_path / "copilot")
    days = resolve_days(zone, None, None, loaded_partitions(con))
    assert (days.first, days.last, days.withdrawn) == (
        dt.date(2026, 4, 7),
        dt.date(2026, 4, 8),
        (dt.date(2026, 4, 8),),
    )
    # the run re-loads the vanished partition: its rows are withdrawn
    load_partition(con, zone, COPILOT, dt.date(2026, 4, 8))
    assert con.execute("SELECT count(*) FROM raw.copilot_user_days").fetchone() == (0,)
    assert loaded_partitions(con) == {dt.date(2026, 4, 7)}
