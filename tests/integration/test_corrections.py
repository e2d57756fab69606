"""Corrections and withdrawals (landing contract, "Corrections and withdrawals"):
the work of a run follows the distinct event days its deliveries touch, and
after a file or a whole dt= folder is corrected or removed and the pipeline
runs again, every BI table equals a fresh run over the landing zone as it now
stands. Each test runs `aiw run` in-process on a copy of the conformance case
plus the one thing it is about, or starts from a copy of the conformance case
as published once for the session (`conformance_published`).
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from orchestration.cli import main
from orchestration.settings import work_path_for
from tests.conftest import CONFORMANCE, CONFORMANCE_RUN_KEY, copy_of_published
from tests.dbt.conformance import differing_tables
from tests.duckdb_files import query
from tests.landing_builder import usage_record, write_usage

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("corrections")]

BI_SCHEMAS = ("marts", "restricted", "audit")
# the checks' run log and the publication stamp differ between any two runs
RUN_LOG = ("audit.check_results", "audit.publication")


@pytest.fixture(autouse=True)
def _one_pseudonym_key(monkeypatch):
    # the corrected warehouse and the fresh one must pseudonymise alike; each
    # WORK database would otherwise generate its own key. The shared
    # conformance run the tests start from has this one.
    monkeypatch.setenv("AIW_PSEUDONYM_KEY", CONFORMANCE_RUN_KEY)


def _landing(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(CONFORMANCE / "landing", landing)
    return landing


def _run(landing, warehouse, *bounds: str) -> int:
    args = ["run", "--landing", str(landing), "--warehouse", str(warehouse)]
    if bounds:
        args += ["--start", bounds[0], "--end", bounds[1]]
    return main(args)


def _deliver_request(landing, day: str, name: str, request_id: str, timestamp: str):
    """One request of amara (p101), delivered in file `name` of usage partition `day`."""
    return write_usage(
        landing,
        day,
        name,
        [usage_record(request_id, timestamp, user_email="amara@maps-ads.example")],
    )


def _assert_equals_fresh_run(landing, corrected, tmp_path) -> None:
    fresh = tmp_path / "fresh" / "warehouse.duckdb"
    fresh.parent.mkdir()
    assert _run(landing, fresh) == 0
    _assert_same_bi_tables(corrected, fresh)


def _assert_same_bi_tables(corrected, fresh) -> None:
    differing = differing_tables(corrected, fresh, BI_SCHEMAS, exclude=RUN_LOG)
    assert not differing, "\n".join(differing)


def test_a_late_event_costs_its_own_day_not_the_span(tmp_path, conformance_published):
    # the conformance case, published by a run over the landing zone
    landing, warehouse = copy_of_published(conformance_published, tmp_path)
    # Mark one day in the middle of the span: a run that rebuilds it (as a
    # window from the oldest to the newest event would) erases the mark.
    work = work_path_for(warehouse)
    con = duckdb.connect(str(work))
    marked = con.execute(
        "update intermediate.int_usage__daily_by_identity set requests = requests + 1000 "
        "where usage_date = date '2026-04-10'"
    ).fetchall()[0][0]
    con.close()
    assert marked > 0
    # one request 40 days late, delivered with the last partition
    _deliver_request(
        landing, "2026-04-24", "gw-retry.jsonl.gz", "req-late-40", "2026-03-15T09:00:00Z"
    )
    assert _run(landing, warehouse, "2026-04-24", "2026-04-24") == 0

    rebuilt = dict(
        query(
            work,
            "select usage_date, sum(requests) from intermediate.int_usage__daily_by_identity "
            "where usage_date in (date '2026-03-15', date '2026-04-10') group by 1",
        )
    )
    assert rebuilt[dt.date(2026, 3, 15)] == 1  # the late day was built
    assert rebuilt[dt.date(2026, 4, 10)] >= 1000  # the days between were not touched
    assert query(work, "select count(*) from raw.usage_days_to_rebuild") == [(0,)]


def test_a_deleted_file_withdraws_its_rows(tmp_path, conformance_published):
    landing, warehouse = copy_of_published(conformance_published, tmp_path / "corrected")
    late = _deliver_request(
        landing, "2026-04-18", "gw-late.jsonl.gz", "req-0401", "2026-04-01T09:00:00Z"
    )
    assert _run(landing, warehouse, "2026-04-18", "2026-04-18") == 0
    day_rows = (
        "select count(*) from marts.fct_token_usage_daily where usage_date = date '2026-04-01'"
    )
    assert query(warehouse, day_rows) == [(1,)]

    late.unlink()  # the dt=2026-04-18 folder stays, now empty
    assert _run(landing, warehouse, "2026-04-18", "2026-04-18") == 0
    assert query(warehouse, day_rows) == [(0,)]
    # the landing zone is the conformance case again, with an empty folder
    # more: a fresh run over it publishes what the conformance run did
    _assert_same_bi_tables(warehouse, conformance_published / "warehouse.duckdb")


def test_a_removed_partition_folder_is_withdrawn_by_a_run_over_the_landing_zone(
    tmp_path, capsys, conformance_published
):
    landing, warehouse = copy_of_published(conformance_published, tmp_path)
    last_day = "select count(*) from marts.fct_ai_cost_daily where cost_date = date '2026-04-24'"
    assert query(warehouse, last_day)[0][0] > 0
    for source in ("usage", "deploys"):
        shutil.rmtree(landing / source / "dt=2026-04-24")
    capsys.readouterr()

    # a run bounded elsewhere leaves the partition alone, and says so
    assert _run(landing, warehouse, "2026-04-20", "2026-04-21") == 0
    printed = capsys.readouterr().out
    assert "not withdrawn, outside --start/--end (dt= folder gone): 2026-04-24" in printed
    assert query(warehouse, last_day)[0][0] > 0

    # a run over the landing zone as it stands withdraws it
    assert _run(landing, warehouse) == 0
    printed = capsys.readouterr().out
    assert "Delivery days 2026-04-06 .. 2026-04-24" in printed
    assert "withdrawn (dt= folder gone): 2026-04-24" in printed
    assert query(warehouse, last_day) == [(0,)]
    _assert_equals_fresh_run(landing, warehouse, tmp_path)


def test_a_correction_moving_a_request_to_another_day_counts_it_once_on_the_winners_day(tmp_path):
    # Landing contract, "Duplicates": the copy in the last file in path order
    # wins, even when it puts the request on another day.
    landing = _landing(tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    day_a, day_b = dt.date(2026, 4, 10), dt.date(2026, 4, 15)
    _deliver_request(
        landing, "2026-04-10", "gw-moved.jsonl.gz", "req-moved", "2026-04-10T09:00:00Z"
    )
    assert _run(landing, warehouse) == 0
    # a fresh run over the landing zone as it stands now, and again once the
    # later file is withdrawn below
    first = shutil.copy(warehouse, tmp_path / "first.duckdb")
    per_day = (
        "select usage_date, sum(requests) from marts.fct_token_usage_daily "
        "where usage_date in (?, ?) group by 1"
    )
    before = dict(query(warehouse, per_day, [day_a, day_b]))

    # a corrected copy in a later file moves the request to day B
    later = _deliver_request(
        landing, "2026-04-20", "gw-moved-fix.jsonl.gz", "req-moved", "2026-04-15T09:00:00Z"
    )
    assert _run(landing, warehouse, "2026-04-20", "2026-04-20") == 0
    moved = dict(query(warehouse, per_day, [day_a, day_b]))
    assert moved == {day_a: before[day_a] - 1, day_b: before[day_b] + 1}
    _assert_equals_fresh_run(landing, warehouse, tmp_path)

    # withdrawing the later file puts it back on day A, once
    later.unlink()
    assert _run(landing, warehouse, "2026-04-20", "2026-04-20") == 0
    assert dict(query(warehouse, per_day, [day_a, day_b])) == before
    _assert_same_bi_tables(warehouse, first)
