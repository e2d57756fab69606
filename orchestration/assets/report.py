"""The dashboard, refreshed from the serving file after each publish."""

import dagster as dg

from orchestration.resources import WarehouseResource
from orchestration.settings import report_path_for

PUBLISH_KEY = dg.AssetKey(["publish", "serving_warehouse"])


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
