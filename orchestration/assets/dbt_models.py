"""dbt models as Dagster assets, built on first use from the parsed manifest."""

import functools

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt import WarehouseDbtTranslator, dbt_project
from orchestration.partitions import DBT_BUILD_ARGS
from orchestration.resources import WarehouseResource
from orchestration.settings import dbt_target_path_for

# dbt unit tests are development checks (`make test`); scheduled runs skip them.
DBT_EXCLUDE = "test_type:unit"


@functools.cache
def warehouse_models() -> dg.AssetsDefinition:
    """The dbt assets. `@dbt_assets` reads the manifest when it is applied, so
    it is applied here, on first call, after dbt_project() made the manifest
    current: importing this module never needs a manifest, in any order."""
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WarehouseDbtTranslator(),
        exclude=DBT_EXCLUDE,
    )
    def warehouse_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        # The models are rebuilt whole each run (unpartitioned in Dagster);
        # the dbt resource points dbt at this WORK database (orchestration.dbt).
        # Whatever the partition range, the usage model rebuilds the days the
        # extraction queued for it; see orchestration/partitions.py.
        args = list(DBT_BUILD_ARGS)
        context.log.info(f"dbt {' '.join(args)}")
        target = dbt_target_path_for(warehouse.work)
        yield from dbt.cli(args, context=context, target_path=target).stream()

    return warehouse_models
