import datetime as dt

import pytest

from orchestration.partitions import dbt_build_args, event_time_window

D = dt.date


def test_window_covers_lookback_and_lead_with_exclusive_end():
    assert event_time_window(D(2026, 4, 10), D(2026, 4, 10)) == (D(2026, 4, 3), D(2026, 4, 12))


def test_range_window_spans_first_to_last_partition():
    start, end = event_time_window(D(2026, 4, 1), D(2026, 4, 30), lookback_days=0, lead_days=0)
    assert (start, end) == (D(2026, 4, 1), D(2026, 5, 1))


def test_dbt_args_use_event_time_flags_not_vars():
    args = dbt_build_args(D(2026, 4, 10), D(2026, 4, 11))
    assert args == ["build", "--event-time-start", "2026-04-03", "--event-time-end", "2026-04-13"]
    assert "--vars" not in args


def test_reversed_window_is_rejected():
    with pytest.raises(ValueError, match="ends before it starts"):
        event_time_window(D(2026, 4, 11), D(2026, 4, 10))
