"""The quality checks on small synthetic WORK databases.

Each fault the checks guard is planted in an otherwise clean dataset; the
matching check must fail with the planted figures while every other check
passes (evaluated as the asset checks evaluate, on one connection, to stay
fast). Directly invoked asset checks show the figures reach Dagster's metadata
and the audit table; two in-process runs show the consequence: a blocking
failure stops the publish, a WARN failure does not, and every run leaves its
verdicts in audit.check_results.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from data_quality.audit import read_check_results
from data_quality.checks import CHECK_NAMES, SPECS_BY_NAME, run_checks
from data_quality.config import DQConfig
from data_quality.core import jsonable
from orchestration.assets.quality_checks import build_asset_checks, failed_checks_summary
from orchestration.resources import WarehouseResource
from tests.data_quality.work_db import Scenario, build_work_db, rebuild_weekly

DEFAULTS = DQConfig()
SENSITIVE_WOW = DQConfig(wow_min_weekly_deployments=1)


@pytest.fixture(scope="module")
def instance():
    # One instance for every invocation: creating one per check dominates the runtime.
    with dg.DagsterInstance.ephemeral() as shared:
        yield shared


def _sql(*statements: str) -> Callable[[duckdb.DuckDBPyConnection], None]:
    def corrupt(con: duckdb.DuckDBPyConnection) -> None:
        for statement in statements:
            con.execute(statement)

    return corrupt


def _double_count(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "INSERT INTO marts.fct_normalized_deployments "
        "SELECT * FROM marts.fct_normalized_deployments WHERE change_id = 'C010'"
    )
    rebuild_weekly(con)


def _warehouse(tmp_path: Path, scenario: Scenario, corrupt=None) -> WarehouseResource:
    serving = tmp_path / "warehouse.duckdb"
    work = build_work_db(serving, scenario)
    if corrupt is not None:
        con = duckdb.connect(str(work))
        try:
            corrupt(con)
        finally:
            con.close()
    return WarehouseResource(serving_path=str(serving))


def _invoke(warehouse: WarehouseResource, config: DQConfig, instance, names) -> dict:
    """Invoke the named asset checks directly, as Dagster would run them."""
    results = {}
    for check in build_asset_checks(config):
        (spec,) = check.check_specs
        if spec.name in names:
            # As an initialized resource: the warehouse lock it takes in a run
            # needs a run's resource scope, which direct invocation has not.
            resource = dg.ResourceDefinition.hardcoded_resource(warehouse)
            context = dg.build_asset_check_context(
                resources={"warehouse": resource}, instance=instance
            )
            results[spec.name] = check(context)
    return results


def _outcomes(tmp_path: Path, scenario: Scenario, corrupt, config: DQConfig) -> dict:
    """Every check's outcome on one connection: the same evaluation the asset
    checks run, without a connection and a Dagster context per check, so the
    whole fault matrix stays fast."""
    work = build_work_db(tmp_path / "warehouse.duckdb", scenario)
    con = duckdb.connect(str(work))
    try:
        if corrupt is not None:
            corrupt(con)
        return run_checks(con, config)
    finally:
        con.close()


def _figures(result: dg.AssetCheckResult) -> dict:
    return {key: value.value for key, value in result.metadata.items()}


def _first(key: str, field: str):
    return lambda figures: figures[key][0][field]


# The clean build's team ta in week 2026-03-16: e1 ships 5, e2 1 (work_db._change_plan).
DEPLOYMENTS_TA_WEEK_2, TOP_AUTHOR_TA_WEEK_2 = 6, 5

# name -> (scenario, corruption of the built database, config,
#          {failing check: (observed, threshold, (figure getter, expected figure))})
CASES = {
    "clean": (Scenario(), None, DEFAULTS, {}),
    "double_counted_change": (
        Scenario(),
        _double_count,
        DEFAULTS,
        # (that change_id is unique is a dbt test: tests/dbt/test_mart_invariants.py)
        {"deployments_reconcile_with_raw": (42, 41, (lambda f: f["normalized"], 41))},
    ),
    "team_with_deployments_but_no_developers": (
        Scenario(),
        _sql(
            "UPDATE marts.team_weekly_metrics SET developers = 0, ai_active_developers = 0, "
            "adoption_rate = NULL, normalized_deployments_per_developer = NULL "
            "WHERE week_start = DATE '2026-03-09' AND team_id = 'tb'"
        ),
        DEFAULTS,
        {
            "teams_with_deployments_have_developers": (
                1 / 8,
                0.02,
                (
                    lambda f: (f["offenders"][0]["week_start"], f["offenders"][0]["team_id"]),
                    ("2026-03-09", "tb"),
                ),
            )
        },
    ),
    "stale_deploy_partitions": (
        Scenario(deploys_missing_last_days=5),
        None,
        DEFAULTS,
        {"deploys_fresh": (5, 3, (lambda f: f["reference_day"], "2026-03-25"))},
    ),
    "email_given_to_two_employees": (
        Scenario(),
        # a later snapshot gave e1's email to a new hire, as dbt records it
        _sql(
            "UPDATE intermediate.int_employees__email_identities SET employee_id = NULL, "
            "is_ambiguous = true, claimant_employee_ids = 'e1, e7' "
            "WHERE email_normalized = 'e1@example.com'"
        ),
        DEFAULTS,
        {"emails_belong_to_one_employee": (1, 0, (_first("shared_by", "employee_ids"), "e1, e7"))},
    ),
    "unattributed_burst": (
        Scenario(unattributed_burst_days=2),
        None,
        DEFAULTS,
        # 2 of the last 5 workdays' usage comes from unknown emails; the whole
        # history (2 of 18 workdays) alone would stay under the threshold
        {
            "tokens_unattributed_share": (
                pytest.approx(0.4, abs=0.01),
                0.15,
                (lambda f: f["periods"][0]["share"] < 0.15, True),
            )
        },
    ),
    "unbalanced_file_accounting": (
        Scenario(),
        _sql(
            "UPDATE raw.landing_files SET rows_loaded = rows_loaded + 1 "
            "WHERE source_file = 'usage/dt=2026-03-04/gw-0.jsonl.gz'"
        ),
        DEFAULTS,
        {
            "landing_files_balanced": (
                1,
                0,
                (_first("unbalanced_files", "source_file"), "usage/dt=2026-03-04/gw-0.jsonl.gz"),
            )
        },
    ),
    "duplicate_deployment_after_dedupe": (
        Scenario(),
        _sql(
            "INSERT INTO intermediate.int_deployments__deduplicated "
            "SELECT * FROM intermediate.int_deployments__deduplicated WHERE deployment_id = 'C004-p1'"
        ),
        DEFAULTS,
        {
            "deployment_ids_counted_once": (
                1,
                0,
                (_first("repeated_ids", "deployment_id"), "C004-p1"),
            )
        },
    ),
    "duplicate_request_counted_twice": (
        Scenario(dedupe_requests=False),
        None,
        DEFAULTS,
        # counted again: the copy re-delivered on Saturday (on Friday, its request's
        # day) and the superseded copy of a request a correction moved to 2026-03-11
        {
            "request_ids_counted_once": (
                2,
                0,
                (
                    lambda f: [d["usage_date"] for d in f["days_differing"]],
                    ["2026-03-06", "2026-03-10"],
                ),
            )
        },
    ),
    # adoption above 1 and a ratio that is not deployments / developers are
    # dbt tests of team_weekly_metrics (tests/dbt/test_mart_invariants.py)
    "whole_team_implausible": (
        # every developer of ta "ships" 20 a week: a denominator or counting
        # fault, not one person's behaviour (weekly totals no longer match the fact)
        Scenario(),
        _sql(
            "UPDATE marts.team_weekly_metrics SET normalized_deployments = 60, "
            "normalized_deployments_per_developer = 20 "
            "WHERE week_start = DATE '2026-03-16' AND team_id = 'ta'"
        ),
        DEFAULTS,
        {
            "deployments_per_developer_plausible": (
                pytest.approx((60 - TOP_AUTHOR_TA_WEEK_2) / 2),
                15,
                (_first("offenders", "team_id"), "ta"),
            ),
            "weekly_deployments_match_fact": (
                60 - DEPLOYMENTS_TA_WEEK_2,
                0,
                (lambda figures: figures["weeks_differing"][0]["week_start"], "2026-03-16"),
            ),
            # org-wide 11 → 65 normalized deployments for the same 5 developers (WARN)
            "deployments_per_developer_week_over_week": (
                pytest.approx((60 + 5) / 11 - 1),
                0.5,
                (_first("flagged_weeks", "week_start"), "2026-03-16"),
            ),
        },
    ),
    "week_over_week_jump": (
        Scenario(extra_changes=(2, 30)),
        None,
        SENSITIVE_WOW,
        # 11 → 41 normalized deployments for the same 5 developers
        {
            "deployments_per_developer_week_over_week": (
                pytest.approx(30 / 11),
                0.5,
                (_first("flagged_weeks", "week_start"), "2026-03-16"),
            )
        },
    ),
    "partition_without_rows": (
        Scenario(truncated_usage_day=10),
        None,
        DEFAULTS,
        {"usage_partitions_have_rows": (1, 0, (_first("empty_partitions", "dt"), "2026-03-12"))},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_fault_fails_its_check_and_only_its_check(tmp_path, case):
    scenario, corrupt, config, expected = CASES[case]
    outcomes = _outcomes(tmp_path, scenario, corrupt, config)

    failing = {name for name, outcome in outcomes.items() if not outcome.passed}
    assert failing == set(expected), {name: outcomes[name].summary for name in failing}
    for name, (observed, threshold, (figure, value)) in expected.items():
        outcome = outcomes[name]
        assert (outcome.observed, outcome.threshold) == (observed, threshold), outcome.summary
        assert figure(jsonable(outcome.figures)) == value, outcome.figures


def test_failures_carry_their_figures_and_severity(tmp_path, instance):
    warehouse = _warehouse(tmp_path, Scenario(deploys_missing_last_days=5))
    result = _invoke(warehouse, DEFAULTS, instance, {"deploys_fresh"})["deploys_fresh"]
    figures = _figures(result)

    assert not result.passed
    assert result.severity == dg.AssetCheckSeverity.ERROR
    assert (figures["observed_value"], figures["threshold"]) == (5, 3)
    assert "newest deploys partition 2026-03-20 is 5 days behind 2026-03-25" in figures["summary"]
    assert figures["reference_basis"] == "newest partition of any source"
    assert {e["key"]: e["success"] for e in figures["expectations"]} == {
        "has_delivered": True,
        "lag_within_limit": False,
    }
    (row,) = read_check_results(warehouse.work)
    assert (row["check_name"], row["asset"], row["passed"]) == (
        "deploys_fresh",
        "marts/fct_normalized_deployments",
        False,
    )


def test_a_missing_mart_fails_the_check_with_its_reason(tmp_path, instance):
    warehouse = _warehouse(tmp_path, Scenario(), _sql("DROP TABLE marts.team_weekly_metrics"))
    checks = {"teams_with_deployments_have_developers", "usage_fresh"}
    results = _invoke(warehouse, DEFAULTS, instance, checks)

    assert not results["teams_with_deployments_have_developers"].passed
    summary = _figures(results["teams_with_deployments_have_developers"])["summary"]
    assert "team_weekly_metrics does not exist" in summary
    assert results["usage_fresh"].passed


def _pipeline_stand_ins() -> list[dg.AssetsDefinition]:
    """Assets with the pipeline's keys that leave the prepared data as it is,
    and a publish step downstream of every mart, as in the code location."""
    checked = {
        spec.asset_key for check in build_asset_checks(DEFAULTS) for spec in check.check_specs
    }
    keys = checked | {dg.AssetKey(["restricted", "developer_signals_daily"])}

    def stand_in(key: dg.AssetKey) -> dg.AssetsDefinition:
        @dg.asset(key=key)
        def _asset() -> None:
            return None

        return _asset

    published = sorted((k for k in keys if k.path[0] in ("marts", "restricted")), key=str)

    @dg.asset(key=["publish", "serving_warehouse"], deps=published)
    def serving_warehouse() -> None:
        return None

    return [*(stand_in(k) for k in sorted(keys, key=str)), serving_warehouse]


def _materialize(warehouse: WarehouseResource, config: DQConfig, instance):
    return dg.materialize(
        [*_pipeline_stand_ins(), *build_asset_checks(config)],
        resources={"warehouse": warehouse},
        instance=instance,
        raise_on_error=False,
    )


def _published(result) -> bool:
    return any(
        e.asset_key == dg.AssetKey(["publish", "serving_warehouse"])
        for e in result.get_asset_materialization_events()
    )


def test_blocking_failure_stops_publish_and_is_recorded(tmp_path, instance):
    warehouse = _warehouse(tmp_path, Scenario(), _double_count)
    result = _materialize(warehouse, DEFAULTS, instance)

    assert not result.success
    assert not _published(result)
    assert failed_checks_summary(result.get_asset_check_evaluations()) == [
        "check deployments_reconcile_with_raw on marts/fct_normalized_deployments failed: "
        "observed 42, threshold 41",
    ]
    rows = read_check_results(warehouse.work, run_id=result.run_id)
    assert sorted(r["check_name"] for r in rows) == sorted(CHECK_NAMES)
    failed = {r["check_name"]: r for r in rows if not r["passed"]}
    assert set(failed) == {"deployments_reconcile_with_raw"}
    row = failed["deployments_reconcile_with_raw"]
    assert (row["observed_value"], row["threshold"], row["severity"], row["blocking"]) == (
        42.0,
        41.0,
        "ERROR",
        True,
    )
    assert "delivered 42 ≤ 41 changes" in row["summary"]


def test_warn_failure_reports_but_publishes(tmp_path, instance):
    warehouse = _warehouse(tmp_path, Scenario(extra_changes=(2, 30)))
    result = _materialize(warehouse, SENSITIVE_WOW, instance)

    assert result.success
    assert _published(result)
    evaluations = result.get_asset_check_evaluations()
    assert failed_checks_summary(evaluations, blocking_only=True) == []
    (warning,) = failed_checks_summary(evaluations)
    assert warning.startswith(
        "check deployments_per_developer_week_over_week on marts/team_weekly_metrics failed: "
        "observed 2.727, threshold 0.5"
    )
    rows = read_check_results(warehouse.work, run_id=result.run_id)
    assert len(rows) == len(CHECK_NAMES)
    assert [(r["check_name"], r["severity"]) for r in rows if not r["passed"]] == [
        ("deployments_per_developer_week_over_week", "WARN")
    ]


def test_one_developers_many_changes_are_a_finding_not_a_blocking_fault(tmp_path):
    # e1 ships 60 extra changes in one week: team ta (3 developers) publishes
    # more than 15 per developer, but its other developers do not, so the
    # blocking plausibility gate passes and names the team-week for context.
    outcomes = _outcomes(tmp_path, Scenario(extra_changes=(2, 60)), None, DEFAULTS)
    plausible = outcomes["deployments_per_developer_plausible"]

    assert plausible.passed, plausible.summary
    assert plausible.figures["max_per_developer"] > DEFAULTS.max_deployments_per_developer_week
    assert plausible.observed <= DEFAULTS.max_deployments_per_developer_week
    (team_week,) = plausible.figures["one_author_team_weeks"]
    assert (str(team_week["week_start"])[:10], team_week["team_id"]) == ("2026-03-16", "ta")
    blocking = {
        name
        for name, outcome in outcomes.items()
        if not outcome.passed
        and DEFAULTS.severity(name, SPECS_BY_NAME[name].default_severity) == "ERROR"
    }
    assert not blocking, {name: outcomes[name].summary for name in blocking}
