"""End to end on the conformance case: extraction + dbt build reproduce every
expected BI table, and day-by-day incremental runs equal one full build.

Marked slow: each dbt invocation costs a few seconds.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.dbt._dbt import (
    BUILD_DATA,
    CONFORMANCE_DIR,
    extract_landing,
    failures,
    pseudonym_key,
    run_dbt,
    run_dbt_ok,
)
from tests.dbt.conformance import compare_all, differing_tables

extract = pytest.importorskip("orchestration.extract")

# both tests share the module's full build: keep them on one xdist worker
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_conformance")]


# the incremental and the full build must pseudonymise the quarantine alike
one_pseudonym_key = pseudonym_key("conformance-test-key")


@pytest.fixture(scope="module")
def full_build(tmp_path_factory, one_pseudonym_key):
    work = tmp_path_factory.mktemp("conformance_full")
    db = work / "work.duckdb"
    extract_landing(CONFORMANCE_DIR / "landing", db)
    run_dbt_ok(BUILD_DATA, work, db)
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
        # the days the run must rebuild: the distinct request days of the rows
        # the partition delivered (a first load removes none), never a span
        queued = set(con.execute("select usage_date from raw.usage_days_to_rebuild").fetchall())
        delivered = set(
            con.execute(
                "select cast(requested_at as date) from raw.usage_requests where dt = ?", [day]
            ).fetchall()
        )
        assert queued == delivered, day
        con.close()
        result = run_dbt(["run"], tmp_path, db)
        assert result.success, f"{day}: " + "\n".join(failures(result))

    differing = differing_tables(db, full_build, ("intermediate", "marts", "restricted", "audit"))
    assert not differing, "\n".join(differing)
