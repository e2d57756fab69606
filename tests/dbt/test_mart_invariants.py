"""The structural invariants of the marts are dbt data tests, stated once:
Great Expectations no longer re-checks them (data_quality keeps the gates that
need raw data, history or a threshold). Each fault planted in a synthetic
WORK database fails its dbt test, which Dagster runs as a blocking asset check.
"""

from __future__ import annotations

import duckdb

from tests.data_quality.work_db import Scenario, build_work_db
from tests.dbt._dbt import run_dbt

FAULTS = {
    # a change counted twice
    "unique_fct_normalized_deployments_change_id": (
        "INSERT INTO marts.fct_normalized_deployments "
        "SELECT * FROM marts.fct_normalized_deployments WHERE change_id = 'C010'"
    ),
    # more AI-active developers than developers: adoption above 1
    "team_weekly_metrics_adoption_rate_within_0_and_1": (
        "UPDATE marts.team_weekly_metrics SET ai_active_developers = 4, adoption_rate = 4 / 3 "
        "WHERE week_start = DATE '2026-03-16' AND team_id = 'ta'"
    ),
    # a published ratio that is not deployments / developers of its row
    "team_weekly_metrics_per_developer_is_deployments_over_developers": (
        "UPDATE marts.team_weekly_metrics SET normalized_deployments_per_developer = 40 "
        "WHERE week_start = DATE '2026-03-09' AND team_id = 'tb'"
    ),
}
ALSO_FAILING = {
    "team_weekly_metrics_ai_active_within_developers"
}  # the adoption fault's other face


def _failed_tests(tmp_path, corruptions) -> dict[str, int]:
    work = build_work_db(tmp_path / "warehouse.duckdb", Scenario())
    con = duckdb.connect(str(work))
    for statement in corruptions:
        con.execute(statement)
    con.close()
    names = [*FAULTS, *ALSO_FAILING]
    result = run_dbt(["test", "--select", *names], tmp_path, work)
    # the project's run hooks (no-ops on DuckDB, the Spark target's set-up) are
    # results too; only the data tests are judged
    ran = {r.node.name: r for r in result.result.results if r.node.resource_type == "test"}
    assert set(ran) == set(names), sorted(ran)
    return {name: r.failures for name, r in ran.items() if str(r.status) == "fail"}


def test_each_mart_fault_fails_its_dbt_test(tmp_path):
    failed = _failed_tests(tmp_path, FAULTS.values())
    assert failed == {
        "unique_fct_normalized_deployments_change_id": 1,
        "team_weekly_metrics_adoption_rate_within_0_and_1": 1,
        "team_weekly_metrics_ai_active_within_developers": 1,
        "team_weekly_metrics_per_developer_is_deployments_over_developers": 1,
    }
