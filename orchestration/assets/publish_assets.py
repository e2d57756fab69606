"""The publish group: the serving file, published only after every blocking
check has passed, and the dashboard refreshed from it."""

import dagster as dg

from orchestration.publish import publish
from orchestration.resources import WarehouseResource
from orchestration.settings import report_path_for, serving_storage_version

PUBLISH_KEY = dg.AssetKey(["publish", "serving_warehouse"])


def build_publish_asset(bi_table_keys: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISH_KEY,
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


@dg.asset(
    key=["publish", "report"],
    group_name="publish",
    deps=[PUBLISH_KEY],
    kinds={"html"},
    description=(
        "The wide-audience HTML dashboard (`<serving stem>.report.html` beside the serving "
        "file): one self-contained file drawn from the published marts, so it always shows "
        "the version BI tools see. `aiw report --audience restricted` writes the one with "
        "individual signals."
    ),
)
def report(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.dashboard import write_report

    result = write_report(warehouse.serving, report_path_for(warehouse.serving), "wide")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "audience": result.audience,
            "charts": result.charts,
            "bytes": result.bytes,
            "tables_not_published": ", ".join(result.missing) or "none",
        }
    )
