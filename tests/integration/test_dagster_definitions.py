"""The code location as Dagster sees it: it loads, every check hangs on the
right asset, and the schedule and sensor request the right partitions."""

from __future__ import annotations

import datetime
import shutil
import subprocess

import dagster as dg
import pytest

from orchestration.settings import REPO_ROOT
from tests.conftest import CONFORMANCE

# one worker runs the module, so the module-wide `defs` is made once
pytestmark = pytest.mark.xdist_group("dagster_definitions")


@pytest.fixture(scope="module")
def defs():
    from orchestration.code_location import build_definitions

    return build_definitions("unused-landing", "unused.duckdb")


def test_dagster_definitions_validate_passes():
    result = subprocess.run(
        ["dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Validation successful" in result.stderr + result.stdout


def test_asset_keys_and_groups_come_from_dbt_metadata(defs):
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups["marts/fct_normalized_deployments"] == "marts"
    assert groups["restricted/developer_signals_daily"] == "restricted"
    assert groups["staging/stg_gateway__usage_requests"] == "staging"
    assert groups["raw/usage_requests"] == "raw"
    # dbt sources resolve to the extraction assets, so lineage runs landing → BI.
    staging = graph.get(dg.AssetKey(["staging", "stg_gateway__usage_requests"]))
    assert dg.AssetKey(["raw", "usage_requests"]) in staging.parent_keys
    # the usage model reads its days from the queue the extraction fills
    usage = graph.get(dg.AssetKey(["intermediate", "int_usage__daily_by_identity"]))
    assert dg.AssetKey(["raw", "usage_days_to_rebuild"]) in usage.parent_keys
    publish = graph.get(dg.AssetKey(["publish", "serving_warehouse"]))
    assert dg.AssetKey(["marts", "team_weekly_metrics"]) in publish.parent_keys
    assert not any(k.path[0] in ("staging", "intermediate", "raw") for k in publish.parent_keys)


def test_quality_checks_hang_on_the_assets_they_guard(defs):
    from data_quality.checks import CHECK_NAMES

    graph = defs.resolve_asset_graph()
    by_name: dict[str, list[str]] = {}
    blocking: dict[str, bool] = {}
    for check_key in graph.asset_check_keys:
        by_name.setdefault(check_key.name, []).append(check_key.asset_key.to_user_string())
        spec = graph.get_check_spec(check_key)
        blocking[check_key.name] = spec.blocking
    assert set(CHECK_NAMES) <= set(by_name)
    # change_id counted once is dbt's unique test, a check of the same asset
    assert by_name["unique_fct_normalized_deployments_change_id"] == [
        "marts/fct_normalized_deployments"
    ]
    assert blocking["unique_fct_normalized_deployments_change_id"] is True
    assert by_name["deployments_reconcile_with_raw"] == ["marts/fct_normalized_deployments"]
    assert by_name["tokens_unattributed_share"] == ["marts/fct_token_usage_daily"]
    assert by_name["teams_with_deployments_have_developers"] == ["marts/team_weekly_metrics"]
    assert by_name["landing_files_balanced"] == ["raw/landing_files"]
    assert by_name["emails_belong_to_one_employee"] == ["marts/fct_token_usage_daily"]
    assert blocking["emails_belong_to_one_employee"] is True
    assert blocking["deployments_reconcile_with_raw"] is True
    assert blocking["deployments_per_developer_week_over_week"] is False
    # dbt data tests are asset checks too.
    assert any(name.startswith("unique_") for name in by_name)


def test_schedule_requests_yesterdays_partition(defs):
    schedule = defs.resolve_schedule_def("daily_warehouse_schedule")
    assert schedule.cron_schedule == "30 4 * * *"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime.datetime(2026, 4, 10, 4, 30)
    )
    assert schedule(context).partition_key == "2026-04-09"


def test_sensor_requests_new_and_redelivered_partitions(tmp_path):
    from orchestration.code_location import build_definitions
    from orchestration.resources import LandingResource

    landing = tmp_path / "landing"
    shutil.copytree(CONFORMANCE / "landing", landing)
    sensor = build_definitions(str(landing), str(tmp_path / "w.duckdb")).resolve_sensor_def(
        "landed_partitions_sensor"
    )
    resources = {"landing": LandingResource(url=str(landing))}
    instance = dg.DagsterInstance.ephemeral()

    def tick(cursor=None):
        with dg.build_sensor_context(
            resources=resources, cursor=cursor, instance=instance
        ) as context:
            return list(sensor(context)), context.cursor

    # Every delivered day, in one run over their range: the days between
    # without any folder (weekends) do not split it.
    first, cursor = tick()
    days = sorted({p.name[3:] for s in ("usage", "deploys") for p in (landing / s).glob("dt=*")})
    assert len(first) == 1
    assert first[0].partition_key is None
    assert first[0].tags["dagster/asset_partition_range_start"] == days[0]
    assert first[0].tags["dagster/asset_partition_range_end"] == days[-1]

    assert tick(cursor)[0] == []

    redelivered = landing / "usage" / "dt=2026-04-10" / "gw-0-redelivered.jsonl.gz"
    shutil.copy(landing / "usage" / "dt=2026-04-10" / "gw-0.jsonl.gz", redelivered)
    again, _ = tick(cursor)
    assert [r.partition_key for r in again] == ["2026-04-10"]


def test_partitions_start_at_the_first_delivery_day(defs, tmp_path):
    from orchestration.code_location import build_definitions

    graph = build_definitions(str(CONFORMANCE / "landing"), "w.duckdb").resolve_asset_graph()
    usage = graph.get(dg.AssetKey(["raw", "usage_requests"]))
    assert usage.partitions_def.get_first_partition_key() == "2026-04-06"
    # Tables rebuilt whole each run are not shown as partitions they do not have.
    for key in ("marts/team_weekly_metrics", "raw/roster_snapshots", "publish/serving_warehouse"):
        assert graph.get(dg.AssetKey(key.split("/"))).partitions_def is None, key
