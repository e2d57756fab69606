"""End to end on the conformance case: extraction + dbt build reproduce every
expected BI table, and day-by-day incremental runs equal one full build.

Marked slow: each dbt invocation costs a few seconds.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests.dbt._dbt import CONFORMANCE_DIR, failures, run_dbt
from tests.dbt.conformance import compare_all

extract = pytest.importorskip("orchestration.extract")

# both tests share the module's full build: keep them on one xdist worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_conformance")]

EVENT_WINDOW = ["--event-time-start", "2026-03-30", "--event-time-end", "2026-04-27"]
LOOKBACK_DAYS, LEAD_DAYS = 7, 2


@pytest.fixture(scope="module")
def full_build(tmp_path_factory):
    work = tmp_path_factory.mktemp("conformance_full")
    db = work / "work.duckdb"
    con = duckdb.connect(str(db))
    extract.extract_all(con, str(CONFORMANCE_DIR / "landing"))
    con.close()
    result = run_dbt(["build", *EVENT_WINDOW], work, db)
    assert result.success, "\n".join(failures(result))
    return db


def test_full_build_matches_expected_tables(full_build):
    con = duckdb.connect(str(full_build), read_only=True)
    differences = {t: d for t, d in compare_all(con, CONFORMANCE_DIR / "expected").items() if d}
    assert not differences, "\n".join(line for lines in differences.values() for line in lines)


def test_day_by_day_incremental_equals_full_build(full_build, tmp_path):
    from orchestration.landing import LandingZone

    landing = LandingZone(str(CONFORMANCE_DIR / "landing"))
    db = tmp_path / "incremental.duckdb"
    days = sorted(set(landing.partitions("usage")) | set(landing.partitions("deploys")))
    for day in days:
        con = duckdb.connect(str(db))
        extract.load_roster(con, landing)
        for source in (extract.PRICE_BOOK, extract.CONTRACTS):
            extract.load_reference(con, landing, source)
        for source in (extract.USAGE, extract.DEPLOYS):
            if day in landing.partitions(source.name):
                extract.load_partition(con, landing, source, day)
        con.close()
        # the window Dagster derives from one delivery partition
        start = day - dt.timedelta(days=LOOKBACK_DAYS)
        end = day + dt.timedelta(days=LEAD_DAYS + 1)
        result = run_dbt(
            ["run", "--event-time-start", start.isoformat(), "--event-time-end", end.isoformat()],
            tmp_path,
            db,
        )
        assert result.success, f"{day}: " + "\n".join(failures(result))

    con = duckdb.connect()
    con.execute(f"attach '{db}' as incremental (read_only)")
    con.execute(f"attach '{full_build}' as full_build (read_only)")
    incremental_tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'incremental'"
        " and schema_name in ('intermediate', 'marts', 'restricted', 'audit') order by 1, 2"
    ).fetchall()
    assert incremental_tables, "incremental runs built nothing"
    differing = []
    for schema, table in incremental_tables:
        name = f"{schema}.{table}"
        columns = con.execute(
            "select column_name, data_type from duckdb_columns()"
            " where database_name = 'incremental' and schema_name = ? and table_name = ?"
            " order by column_index",
            [schema, table],
        ).fetchall()
        # parallel float sums may differ in the last bits between two builds:
        # compare doubles on 12 significant digits, everything else exactly
        select_list = ", ".join(
            f"printf('%.12g', \"{column}\")" if data_type in ("DOUBLE", "FLOAT") else f'"{column}"'
            for column, data_type in columns
        )
        only_incremental, only_full = (
            con.execute(
                f"select count(*) from (select {select_list} from {a}.{name}"
                f" except all select {select_list} from {b}.{name})"
            ).fetchall()[0][0]
            for a, b in (("incremental", "full_build"), ("full_build", "incremental"))
        )
        if only_incremental or only_full:
            differing.append(
                f"{name}: {only_incremental} rows only incremental, {only_full} only full"
            )
    assert not differing, "\n".join(differing)
