"""What `aiw run` prints: step timings only for those who ask."""

import datetime as dt
from pathlib import Path

from orchestration.cli import _parser, _print_outcome
from orchestration.pipeline import RunOutcome


def outcome() -> RunOutcome:
    return RunOutcome(
        success=True,
        first_day=dt.date(2026, 3, 2),
        last_day=dt.date(2026, 3, 3),
        step_seconds={"warehouse_models": 12.5, "raw__usage_requests": 3.25},
    )


def test_step_seconds_are_printed_only_with_verbose(capsys):
    _print_outcome(outcome(), Path("w.duckdb"))
    assert "Step seconds" not in capsys.readouterr().out
    _print_outcome(outcome(), Path("w.duckdb"), verbose=True)
    assert "Step seconds (15.8 in all): warehouse_models 12.5" in capsys.readouterr().out


def test_run_demo_and_report_arguments():
    parser = _parser()
    assert parser.parse_args(["run", "--landing", "l", "--warehouse", "w", "--verbose"]).verbose
    assert not parser.parse_args(["run", "--landing", "l", "--warehouse", "w"]).verbose
    assert parser.parse_args(["demo", "--verbose"]).verbose
    report = parser.parse_args(["report", "--warehouse", "w", "--out", "r.html"])
    assert report.audience == "wide"
