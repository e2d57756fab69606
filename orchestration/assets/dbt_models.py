"""dbt models as Dagster assets, driven by the run's partition window."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt import WarehouseDbtTranslator, dbt_project
from orchestration.partitions import DBT_BUILD_ARGS
from orchestration.resources import WarehouseResource
from orchestration.settings import dbt_target_path_for

# dbt unit tests are development checks (`make test`); scheduled runs skip them.
DBT_EXCLUDE = "test_type:unit"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=WarehouseDbtTranslator(),
    exclude=DBT_EXCLUDE,
)
def warehouse_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    # The models are rebuilt whole each run (unpartitioned in Dagster).
    # The profile reads the database path from the environment of the dbt process.
    os.environ["AIW_WORK_DB"] = str(warehouse.work.resolve())
    # A subset run (a few models from the UI) runs the tests of those models
    # only, not relationship tests reaching unselected ones (dbt's default).
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "cautious")
    # Whatever the partition range, the usage model rebuilds the days the
    # extraction queued for it; see orchestration/partitions.py.
    args = list(DBT_BUILD_ARGS)
    context.log.info(f"dbt {' '.join(args)}")
    target = dbt_target_path_for(warehouse.work)
    yield from dbt.cli(args, context=context, target_path=target).stream()
