import datetime as dt

import pytest

from orchestration.partitions import dbt_build_args, event_time_window

D = dt.date


def test_window_covers_lookback_and_lead_with_exclusive_end():
    assert event_time_window(D(2026, 4, 10), D(2026, 4, 10)) == (D(2026, 4, 7), D(2026, 4, 12))


def test_window_reaches_back_to_the_oldest_delivered_event():
    window = event_time_window(D(2026, 4, 10), D(2026, 4, 10), earliest_event=D(2026, 3, 30))
    assert window == (D(2026, 3, 30), D(2026, 4, 12))
    # a recent oldest event never narrows the contract's look-back
    window = event_time_window(D(2026, 4, 10), D(2026, 4, 10), earliest_event=D(2026, 4, 10))
    assert window == (D(2026, 4, 7), D(2026, 4, 12))


def test_range_window_spans_first_to_last_partition():
    start, end = event_time_window(D(2026, 4, 1), D(2026, 4, 30), lookback_days=0, lead_days=0)
    assert (start, end) == (D(2026, 4, 1), D(2026, 5, 1))


def test_dbt_args_use_event_time_flags_not_vars():
    args = dbt_build_args(D(2026, 4, 10), D(2026, 4, 11))
    assert args == ["build", "--event-time-start", "2026-04-07", "--event-time-end", "2026-04-13"]
    assert "--vars" not in args


def test_reversed_window_is_rejected():
    with pytest.raises(ValueError, match="ends before it starts"):
        event_time_window(D(2026, 4, 11), D(2026, 4, 10))


def test_earliest_usage_day_reads_the_run_partitions_only():
    import duckdb

    from orchestration.partitions import earliest_usage_day

    con = duckdb.connect()
    assert earliest_usage_day(con, D(2026, 4, 10), D(2026, 4, 10)) is None  # nothing loaded yet
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.usage_requests (dt DATE, requested_at TIMESTAMP)")
    con.execute(
        "INSERT INTO raw.usage_requests VALUES "
        "('2026-04-09', '2026-03-01 10:00'), "  # an older partition: not this run's
        "('2026-04-10', '2026-03-28 23:59'), ('2026-04-10', '2026-04-10 08:00')"
    )
    assert earliest_usage_day(con, D(2026, 4, 10), D(2026, 4, 10)) == D(2026, 3, 28)
