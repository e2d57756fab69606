"""dbt models as Dagster assets, built on first use from the parsed manifest."""

import functools

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt import WarehouseDbtTranslator, dbt_project
from orchestration.partitions import DBT_BUILD_ARGS
from orchestration.resources import WarehouseResource
from orchestration.settings import dbt_target_path_for, engine

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
        target = dbt_target_path_for(warehouse.work)
        if engine() == "spark":
            yield from _build_on_spark(context, dbt, warehouse, args, target)
            return
        context.log.info(f"dbt {' '.join(args)}")
        yield from dbt.cli(args, context=context, target_path=target).stream()

    return warehouse_models


def _build_on_spark(context, dbt, warehouse, args, target):
    """The same models on local Spark: extraction wrote the Parquet lake as it
    loaded (what is missing or stale is written now), dbt runs with `--target spark` (its Spark settings come from the dbt
    resource, orchestration.dbt), and its results come back into WORK as
    tables, where the quality gates and publish read them as usual."""
    from orchestration import lake
    from orchestration.spark_env import spark_dir_for

    with warehouse.connect() as con:
        written = lake.sync(con, warehouse.lake())
        exported = lake.queued_days(con)
    context.log.info(
        f"raw lake: {sum(written.values())} rows rewritten in {len(written)} stale tables"
    )
    args = [*args, "--target", "spark"]
    context.log.info(f"dbt {' '.join(args)}")
    # partial-parse state is per profile target
    spark_target = target.with_name(target.name + "-spark")
    yield from dbt.cli(args, context=context, target_path=spark_target).stream()
    with warehouse.connect() as con:
        lake.consume_queue(con, exported)
        mirrored = lake.mirror_results(
            con, spark_dir_for(warehouse.work), spark_target / "manifest.json"
        )
    context.log.info(f"read {len(mirrored)} tables of Spark's results into WORK")
