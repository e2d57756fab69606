"""Anthropic's optional 5-minute / 1-hour cache-write split (usage.cache_creation)."""

import datetime as dt

import duckdb
import pytest

from orchestration.extract import USAGE, load_partition
from orchestration.landing import LandingZone
from tests.landing_builder import usage_record, write_usage

DAY = "2026-04-07"


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "work.duckdb"))
    yield connection
    connection.close()


def split(total, five=None, one=None, **extra):
    usage = {**usage_record("x")["usage"], "cache_creation_input_tokens": total}
    parts = {}
    if five is not None:
        parts["ephemeral_5m_input_tokens"] = five
    if one is not None:
        parts["ephemeral_1h_input_tokens"] = one
    return {**usage, "cache_creation": {**parts, **extra}}


def test_a_split_that_does_not_add_up_is_inconsistent_value_and_good_splits_load(con, tmp_path):
    lines = [
        usage_record("no-split", usage=split(300) | {"cache_creation": None}),
        usage_record(
            "absent", usage={k: v for k, v in split(300).items() if k != "cache_creation"}
        ),
        usage_record("adds-up", usage=split(1500, 500, 1000)),
        usage_record("only-1h", usage=split(700, one=700)),
        usage_record("short", usage=split(100, 50, 40)),
        usage_record("over", usage=split(0, 0, 1)),
        usage_record("only-5m-short", usage=split(10, five=9)),
        usage_record("str-part", usage=split(10, "10", 0)),
        usage_record("neg-part", usage=split(10, 11, -1)),
    ]
    write_usage(tmp_path, DAY, "gw-0.jsonl.gz", lines)

    result = load_partition(con, LandingZone(str(tmp_path)), USAGE, dt.date.fromisoformat(DAY))

    rejected = con.execute(
        "SELECT line_number, reason, detail FROM raw.quarantined_records ORDER BY line_number"
    ).fetchall()
    assert [(n, r) for n, r, _ in rejected] == [
        (5, "inconsistent_value"),
        (6, "inconsistent_value"),
        (7, "inconsistent_value"),
        (8, "wrong_type"),  # a type fault is reported before the sum
        (9, "negative_count"),
    ]
    assert "90 <> 100" in rejected[0][2]
    loaded = con.execute(
        "SELECT request_id, cache_creation_input_tokens, ephemeral_5m_input_tokens, "
        "ephemeral_1h_input_tokens FROM raw.usage_requests ORDER BY line_number"
    ).fetchall()
    assert loaded == [
        ("no-split", 300, None, None),
        ("absent", 300, None, None),
        ("adds-up", 1500, 500, 1000),
        ("only-1h", 700, None, 700),
    ]
    assert result.lines_read == result.rows_loaded + result.rows_quarantined == len(lines)


def test_a_work_database_from_before_the_split_gains_its_columns(con, tmp_path):
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.usage_requests (dt DATE, source_file VARCHAR)")
    write_usage(tmp_path, DAY, "gw-0.jsonl.gz", [usage_record("a", usage=split(5, 2, 3))])
    load_partition(con, LandingZone(str(tmp_path)), USAGE, dt.date.fromisoformat(DAY))
    assert con.execute(
        "SELECT request_id, ephemeral_1h_input_tokens FROM raw.usage_requests"
    ).fetchall() == [("a", 3)]
