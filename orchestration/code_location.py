"""Builds the Definitions of the code location for a landing zone and a serving file."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.assets.dbt_models import warehouse_models
from orchestration.assets.extraction import extraction_assets
from orchestration.assets.publish_assets import build_publish_asset, report
from orchestration.assets.quality_checks import build_asset_checks
from orchestration.automation import build_daily_job, build_sensor, daily_schedule
from orchestration.dbt import warehouse_dbt_cli
from orchestration.landing import PARTITIONED_SOURCES, LandingZone, LandingZoneError
from orchestration.partitions import delivery_partitions, first_delivery_day
from orchestration.publish import PUBLISHED_SCHEMAS
from orchestration.resources import LandingResource, WarehouseResource
from orchestration.settings import work_path_for


def bi_table_keys() -> list[dg.AssetKey]:
    """Every dbt model in a published schema, read from dbt metadata."""
    return sorted(
        (key for key in warehouse_models().keys if key.path[0] in PUBLISHED_SCHEMAS),
        key=lambda k: k.to_user_string(),
    )


def landing_partitions(landing_url: str, earliest: dt.date | None = None):
    """The delivery partitions of a landing zone: from its first dt= day (or
    `earliest`, when a run asks for an older day), see first_delivery_day."""
    try:
        zone = LandingZone(landing_url)
        days = [d for s in PARTITIONED_SOURCES for d in zone.partitions(s)]
    except (LandingZoneError, OSError):
        days = []  # an unreadable zone fails the run with its reason, not the load
    first = first_delivery_day(days)
    if earliest is not None:
        first = min(first, earliest)
    return delivery_partitions(first)


def all_assets(partitions_def: dg.PartitionsDefinition) -> list:
    return [
        *extraction_assets(partitions_def),
        warehouse_models(),
        build_publish_asset(bi_table_keys()),
        report,
    ]


def all_checks() -> list:
    return build_asset_checks()


def resources(landing_url: str, serving_path: str) -> dict:
    return {
        "landing": LandingResource(url=landing_url),
        "warehouse": WarehouseResource(serving_path=serving_path),
        "dbt": warehouse_dbt_cli(work_path_for(serving_path).resolve()),
    }


def build_definitions(
    landing_url: str,
    serving_path: str,
    partitions_def: dg.PartitionsDefinition | None = None,
    executor: dg.ExecutorDefinition = dg.in_process_executor,
) -> dg.Definitions:
    """The code location. Every job, the UI's asset materializations included,
    runs its steps one after another in the run's own process by default: the
    WORK database has one writer, and one process pays for the imports of
    Dagster, dbt and Great Expectations once, where the multiprocess executor
    starts a process per step (24). With another executor the warehouse lock
    makes the steps take turns."""
    partitions_def = partitions_def or landing_partitions(landing_url)
    work = str(work_path_for(serving_path).resolve())
    return dg.Definitions(
        executor=executor,
        assets=all_assets(partitions_def),
        asset_checks=all_checks(),
        jobs=[build_daily_job(work)],
        schedules=[daily_schedule],
        sensors=[build_sensor(partitions_def)],
        resources=resources(landing_url, serving_path),
    )
