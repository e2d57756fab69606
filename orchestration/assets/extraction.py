"""Extraction assets: landing zone → raw tables of the WORK database."""

import os
import warnings
from collections import Counter

import dagster as dg

from orchestration.extract import (
    CONTRACTS,
    COPILOT,
    DEPLOYS,
    IDENTITIES,
    LITELLM,
    OTEL,
    PRICE_BOOK,
    USAGE,
    LoadResult,
    load_partition,
    load_provider_costs,
    load_reference,
    load_roster,
    record_ignored_files,
)
from orchestration.extract.store import PSEUDONYM_KEY_ENV
from orchestration.lake import sync
from orchestration.partitions import partition_days, single_run
from orchestration.resources import LandingResource, WarehouseResource
from orchestration.shortcuts import warm_up_great_expectations_in_background

GROUP = "raw"


def _materialization(results: list[LoadResult]) -> dg.MaterializeResult:
    files = [row for result in results for row in result.file_rows()]
    totals = {
        key: sum(r.as_metadata()[key] for r in results)
        for key in (
            "files",
            "files_quarantined",
            "lines_read",
            "rows_loaded",
            "rows_skipped",
            "rows_quarantined",
        )
    }
    unbalanced = [
        f["source_file"]
        for f in files
        if f["lines_read"] != f["rows_loaded"] + f["rows_skipped"] + f["rows_quarantined"]
    ]
    if unbalanced:
        # The identity is the contract: a mismatch means a line was lost.
        raise dg.Failure(
            f"lines read != loaded + skipped + quarantined for {', '.join(unbalanced)}"
        )
    metadata: dict = {**totals, "notes": "; ".join(n for r in results for n in r.notes) or "none"}
    if files:
        metadata["per_file"] = dg.MetadataValue.md(_file_table(files))
    return dg.MaterializeResult(metadata=metadata)


def _file_table(files: list[dict], limit: int = 200) -> str:
    lines = [
        "| file | read | loaded | skipped | quarantined | status |",
        "|---|---|---|---|---|---|",
    ]
    for f in files[:limit]:
        status = f["file_status"] + (f" ({f['fault']})" if f["fault"] else "")
        lines.append(
            f"| {f['source_file']} | {f['lines_read']} | {f['rows_loaded']} | {f['rows_skipped']} "
            f"| {f['rows_quarantined']} | {status} |"
        )
    if len(files) > limit:
        lines.append(f"| … {len(files) - limit} more files | | | | | |")
    return "\n".join(lines)


def _partitioned_asset(source, description: str, partitions_def: dg.PartitionsDefinition):
    # backfill_policy is a beta parameter; it is what makes a UI backfill of many
    # days one run (the WORK database has one writer), so its warning is expected.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        decorator = dg.asset(
            key=["raw", source.table],
            group_name=GROUP,
            partitions_def=partitions_def,
            backfill_policy=single_run,
            kinds={"duckdb", "python"},
            description=description,
        )

    @decorator
    def _asset(
        context: dg.AssetExecutionContext, landing: LandingResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        zone = landing.zone()
        zone.check_readable()
        if source is USAGE:
            # The quality checks after this step need Great Expectations; its
            # import overlaps the biggest load, which mostly waits on gzip and DuckDB.
            warm_up_great_expectations_in_background()
        with warehouse.connect() as con:
            lake = warehouse.lake()
            results = [
                load_partition(con, zone, source, day, lake) for day in partition_days(context)
            ]
        loaded = [r for r in results if r.files]
        context.log.info(
            f"{source.table}: {len(loaded)} partitions with files, "
            f"{sum(r.rows_loaded for r in results)} rows loaded, "
            f"{sum(r.rows_quarantined for r in results)} quarantined"
        )
        return _materialization(results)

    return _asset


USAGE_DESCRIPTION = "AI gateway request logs, one row per accepted line, keyed by delivery date dt."
OTEL_DESCRIPTION = (
    "Claude Code telemetry (OpenTelemetry Collector file exporter, OTLP/JSON logs): one row "
    "per accepted api_request / api_error log record, keyed by delivery date dt."
)
DEPLOYS_DESCRIPTION = (
    "CD deployment export rows, one row per accepted line, keyed by delivery date dt."
)
LITELLM_DESCRIPTION = (
    "LiteLLM proxy spend logs (rows of its LiteLLM_SpendLogs table), one row per accepted "
    "line, keyed by delivery date dt; input_tokens = prompt minus cached tokens."
)
COPILOT_DESCRIPTION = (
    "GitHub Copilot usage metrics, user-level daily report (users-1-day): one row per "
    "accepted user-day line, keyed by delivery date dt."
)


@dg.asset(
    key=["raw", "roster_snapshots"],
    group_name=GROUP,
    kinds={"duckdb", "python"},
    description="HRIS roster snapshots (one file per snapshot date); unchanged files are not re-read.",
)
def roster_snapshots(
    landing: LandingResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    zone = landing.zone()
    zone.check_readable()
    with warehouse.connect() as con:
        return _materialization([load_roster(con, zone, warehouse.lake())])


def _reference_asset(source, description: str):
    @dg.asset(
        key=["raw", source.table],
        group_name=GROUP,
        kinds={"duckdb", "python"},
        description=description,
    )
    def _asset(landing: LandingResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
        zone = landing.zone()
        zone.check_readable()
        with warehouse.connect() as con:
            return _materialization([load_reference(con, zone, source, warehouse.lake())])

    return _asset


price_book = _reference_asset(PRICE_BOOK, "Per-token list prices, effective-dated.")
contracts = _reference_asset(
    CONTRACTS, "Pricing regime in force (flat-rate or per-token), effective-dated."
)
identities = _reference_asset(
    IDENTITIES,
    "Identity map: each tool's identity (GitHub login, Claude account, LiteLLM user or key, "
    "email) to an employee, effective-dated.",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", "provider_cost_results"],
            group_name=GROUP,
            kinds={"duckdb", "python"},
            description=(
                "Provider cost reports (Anthropic Admin API cost_report pages), one row per "
                "bucket result; amounts in cents as DECIMAL."
            ),
        ),
        dg.AssetSpec(
            ["raw", "provider_cost_buckets"],
            group_name=GROUP,
            kinds={"duckdb"},
            description="Every daily bucket of the loaded cost-report pages (the days they cover).",
        ),
    ],
)
def provider_cost_results(landing: LandingResource, warehouse: WarehouseResource):
    zone = landing.zone()
    zone.check_readable()
    with warehouse.connect() as con:
        result = _materialization([load_provider_costs(con, zone, warehouse.lake())])
    yield dg.MaterializeResult(asset_key=["raw", "provider_cost_results"], metadata=result.metadata)
    yield dg.MaterializeResult(asset_key=["raw", "provider_cost_buckets"])


_EXTRACTED = [
    dg.AssetKey(["raw", source.table])
    for source in (USAGE, DEPLOYS, OTEL, LITELLM, COPILOT, PRICE_BOOK, CONTRACTS, IDENTITIES)
] + [dg.AssetKey(["raw", "roster_snapshots"]), dg.AssetKey(["raw", "provider_cost_results"])]


# Tables every extraction asset writes to, settled once the extraction ran.
_AUDITED = {
    "quarantined_records": "Every rejected line or whole file, with file, line number and reason.",
    "landing_files": (
        "One row per landing file: content hash and lines read/loaded/quarantined, "
        "or why it was quarantined whole or not read at all (ignored)."
    ),
    "pseudonym_key": (
        "The secret key of the email pseudonyms in published audit tables "
        "(AIW_PSEUDONYM_KEY, else generated once per WORK database)."
    ),
    "usage_days_to_rebuild": (
        "Usage days whose raw rows a partition load removed or added: the days the "
        "incremental usage model rebuilds next, then empties."
    ),
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["raw", table],
            group_name=GROUP,
            kinds={"duckdb"},
            deps=_EXTRACTED,
            description=description,
        )
        for table, description in _AUDITED.items()
    ],
)
def landing_audit(landing: LandingResource, warehouse: WarehouseResource):
    """Every extraction asset appends to these tables; this step lists the
    files no run reads (status `ignored`) and summarises both tables once per
    run, so the UI shows the run's accounting in one place."""
    zone = landing.zone()
    zone.check_readable()
    with warehouse.connect() as con:
        ignored = record_ignored_files(con, zone)
        files, read, loaded, skipped, rejected = con.execute(
            "SELECT count(*), coalesce(sum(lines_read), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_skipped), 0), coalesce(sum(rows_quarantined), 0) "
            "FROM raw.landing_files WHERE file_status <> 'ignored'"
        ).fetchone()
        queued = [
            day.isoformat()
            for (day,) in con.execute(
                "SELECT DISTINCT usage_date FROM raw.usage_days_to_rebuild ORDER BY 1"
            ).fetchall()
        ]
        by_reason = con.execute(
            "SELECT source, reason, count(*) FROM raw.quarantined_records GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        lake = warehouse.lake()
        # The accounting tables change with every load: written whole once per
        # run, with whatever else of the lake is missing or stale.
        lake_rows = sync(con, lake) if lake is not None else None
    yield dg.MaterializeResult(
        asset_key=["raw", "quarantined_records"],
        metadata={
            "rows_quarantined": rejected,
            "by_reason": dg.MetadataValue.json(
                [{"source": s, "reason": r, "rows": n} for s, r, n in by_reason]
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "landing_files"],
        metadata={
            "files": files,
            "lines_read": read,
            "rows_loaded": loaded,
            "rows_skipped": skipped,
            "rows_quarantined": rejected,
            "files_ignored": len(ignored),
            "lake": "off" if lake is None else lake.url,
            "lake_tables_written": dg.MetadataValue.json(lake_rows or {}),
            "ignored_by_reason": dg.MetadataValue.json(
                dict(sorted(Counter(f.reason for f in ignored).items()))
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "pseudonym_key"],
        metadata={"from": "AIW_PSEUDONYM_KEY" if os.environ.get(PSEUDONYM_KEY_ENV) else "WORK"},
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "usage_days_to_rebuild"],
        metadata={"days": len(queued), "queued": dg.MetadataValue.json(queued[:400])},
    )


def extraction_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """The extraction assets; usage, deploys, otel, LiteLLM and Copilot are
    partitioned by delivery day."""
    return [
        _partitioned_asset(USAGE, USAGE_DESCRIPTION, partitions_def),
        _partitioned_asset(DEPLOYS, DEPLOYS_DESCRIPTION, partitions_def),
        _partitioned_asset(OTEL, OTEL_DESCRIPTION, partitions_def),
        _partitioned_asset(LITELLM, LITELLM_DESCRIPTION, partitions_def),
        _partitioned_asset(COPILOT, COPILOT_DESCRIPTION, partitions_def),
        roster_snapshots,
        price_book,
        contracts,
        identities,
        provider_cost_results,
        landing_audit,
    ]
