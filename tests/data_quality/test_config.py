"""Configuration, run scope and the one-line failure summaries (no database)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from data_quality.checks import CHECK_NAMES
from data_quality.config import DQConfig
from data_quality.core import Scope
from orchestration.assets.quality_checks import (
    build_asset_checks,
    failed_checks_summary,
    scope_from_tags,
)


def test_environment_overrides_defaults():
    config = DQConfig.from_env(
        {
            "AIW_DQ_MAX_UNATTRIBUTED_SHARE": "0.3",
            "AIW_DQ_MAX_UNATTRIBUTED_TOKEN_SHARE": "0.05",
            "AIW_DQ_FRESHNESS_MAX_LAG_DAYS": "1",
            "AIW_DQ_FRESHNESS_REFERENCE_DATE": "today",
            "AIW_DQ_SEVERITY": "deployments_per_developer_week_over_week=error, usage_fresh=WARN",
        }
    )
    assert config.max_unattributed_token_share == 0.05
    assert config.max_unattributed_deployment_share == 0.3
    assert config.freshness_max_lag_days == 1
    assert config.reference_date() == dt.datetime.now(dt.UTC).date()
    assert config.severity("deployments_per_developer_week_over_week", "WARN") == "ERROR"
    assert config.severity("usage_fresh", "ERROR") == "WARN"
    assert DQConfig.from_env({}) == DQConfig()


@pytest.mark.parametrize(
    "environ",
    [
        {"AIW_DQ_MAX_UNATTRIBUTED_SHARE": "1.5"},
        {"AIW_DQ_WOW_WEEKS": "two"},
        {"AIW_DQ_FRESHNESS_REFERENCE_DATE": "yesterday"},
        {"AIW_DQ_SEVERITY": "usage_fresh=FATAL"},
        {"AIW_DQ_DEDUPLICATED_DEPLOYMENTS_RELATION": "x; DROP TABLE y"},
    ],
)
def test_invalid_settings_are_refused(environ):
    with pytest.raises(ValueError):
        DQConfig.from_env(environ)


def test_severity_decides_blocking_and_unknown_names_are_refused():
    config = DQConfig(severity_overrides={"deployments_per_developer_week_over_week": "ERROR"})
    specs = {spec.name: spec for check in build_asset_checks(config) for spec in check.check_specs}
    assert set(specs) == set(CHECK_NAMES)
    assert specs["deployments_per_developer_week_over_week"].blocking
    assert specs["deployments_reconcile_with_raw"].blocking
    assert not specs["usage_partitions_have_rows"].blocking
    with pytest.raises(ValueError, match="unknown checks: no_such_check"):
        build_asset_checks(DQConfig(severity_overrides={"no_such_check": "WARN"}))


def test_scope_follows_the_run_partitions():
    ranged = scope_from_tags(
        {
            "dagster/asset_partition_range_start": "2026-04-06",
            "dagster/asset_partition_range_end": "2026-04-24",
        }
    )
    assert ranged == Scope(dt.date(2026, 4, 6), dt.date(2026, 4, 24))
    # the days dbt rebuilt are the request days the run's partitions touch
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(
        "CREATE TABLE raw.usage_requests (dt DATE, request_id VARCHAR, requested_at TIMESTAMP)"
    )
    con.execute(
        "INSERT INTO raw.usage_requests VALUES ('2026-04-05', 'r1', '2026-04-04 10:00'), "
        "('2026-04-06', 'r2', '2026-03-01 10:00'), ('2026-04-24', 'r3', '2026-04-24 23:00'), "
        "('2026-04-24', 'r4', '2026-04-24 08:00')"
    )
    assert ranged.event_days(con) == [dt.date(2026, 3, 1), dt.date(2026, 4, 24)]
    assert scope_from_tags({}).event_days(con) is None
    assert scope_from_tags({"dagster/partition": "2026-04-07"}) == Scope(
        dt.date(2026, 4, 7), dt.date(2026, 4, 7)
    )
    assert not scope_from_tags({}).bounded
    assert scope_from_tags({}).dt_predicate() == "TRUE"


def test_summary_lines_name_check_asset_and_figures():
    evaluations = [
        {
            "name": "a_check",
            "asset": "marts/x",
            "passed": False,
            "blocking": True,
            "metadata": {"observed_value": 0.1234567, "threshold": 0.05},
        },
        {"name": "quiet", "asset": "marts/x", "passed": True, "blocking": True, "metadata": {}},
        {
            "name": "warned",
            "asset": "marts/y",
            "passed": False,
            "blocking": False,
            "metadata": {"observed_value": dg.MetadataValue.int(3), "threshold": None},
        },
    ]
    assert failed_checks_summary(evaluations) == [
        "check a_check on marts/x failed: observed 0.1235, threshold 0.05",
        "check warned on marts/y failed: observed 3, threshold n/a",
    ]
    assert failed_checks_summary(evaluations, blocking_only=True) == [
        "check a_check on marts/x failed: observed 0.1235, threshold 0.05"
    ]
