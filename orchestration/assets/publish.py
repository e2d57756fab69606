"""The serving file: published only after every blocking check has passed."""

import dagster as dg

from orchestration.publish import publish
from orchestration.resources import WarehouseResource
from orchestration.settings import serving_storage_version


def build_publish_asset(bi_table_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["publish", "serving_warehouse"],
        group_name="publish",
        deps=bi_table_keys,
        kinds={"duckdb"},
        description=(
            "The DuckDB file BI tools open read-only. Built beside the serving path and "
            "renamed over it, so readers see the previous or the new version, never a mix."
        ),
    )
    def serving_warehouse(warehouse: WarehouseResource) -> dg.MaterializeResult:
        result = publish(warehouse.work, warehouse.serving)
        return dg.MaterializeResult(
            metadata={
                "path": str(result.serving_path),
                "tables": result.tables,
                "rows": result.rows,
                "bytes": result.bytes,
                "storage_version": serving_storage_version(),
                "seconds": round(result.seconds, 3),
            }
        )

    return serving_warehouse
