"""Builds the Definitions of the code location for a landing zone and a serving file."""

from __future__ import annotations

import dagster as dg

from data_quality.checks import build_asset_checks
from orchestration.assets.extraction import extraction_assets
from orchestration.assets.publish import build_publish_asset
from orchestration.assets.report import report
from orchestration.assets.warehouse import warehouse_models
from orchestration.automation import daily_job, daily_schedule, landed_partitions_sensor
from orchestration.dbt import warehouse_dbt_cli
from orchestration.publish import PUBLISHED_SCHEMAS
from orchestration.resources import LandingResource, WarehouseResource


def bi_table_keys() -> list[dg.AssetKey]:
    """Every dbt model in a published schema, read from dbt metadata."""
    return sorted(
        (key for key in warehouse_models.keys if key.path[0] in PUBLISHED_SCHEMAS),
        key=lambda k: k.to_user_string(),
    )


def all_assets() -> list:
    return [*extraction_assets, warehouse_models, build_publish_asset(bi_table_keys()), report]


def all_checks() -> list:
    return build_asset_checks()


def resources(landing_url: str, serving_path: str) -> dict:
    return {
        "landing": LandingResource(url=landing_url),
        "warehouse": WarehouseResource(serving_path=serving_path),
        "dbt": warehouse_dbt_cli(),
    }


def build_definitions(landing_url: str, serving_path: str) -> dg.Definitions:
    return dg.Definitions(
        assets=all_assets(),
        asset_checks=all_checks(),
        jobs=[daily_job],
        schedules=[daily_schedule],
        sensors=[landed_partitions_sensor],
        resources=resources(landing_url, serving_path),
    )
