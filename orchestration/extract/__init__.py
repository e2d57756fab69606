"""Extraction of the landing zone into the raw tables of the WORK database."""

from __future__ import annotations

import duckdb

from orchestration import lake as raw_lake
from orchestration.extract.loader import (
    FileResult,
    LoadResult,
    load_copilot_partition,
    load_deploys_partition,
    load_litellm_partition,
    load_otel_partition,
    load_partition,
    load_reference,
    load_roster,
    load_usage_partition,
    record_ignored_files,
)
from orchestration.extract.provider_costs import load_provider_costs
from orchestration.extract.sources import (
    CONTRACTS,
    COPILOT,
    DEPLOYS,
    IDENTITIES,
    LITELLM,
    OTEL,
    PRICE_BOOK,
    ROSTER,
    USAGE,
)
from orchestration.extract.store import ensure_raw_schema
from orchestration.landing import LandingZone

__all__ = [
    "CONTRACTS",
    "COPILOT",
    "DEPLOYS",
    "IDENTITIES",
    "LITELLM",
    "OTEL",
    "PRICE_BOOK",
    "ROSTER",
    "USAGE",
    "FileResult",
    "LoadResult",
    "ensure_raw_schema",
    "extract_all",
    "load_copilot_partition",
    "load_deploys_partition",
    "load_litellm_partition",
    "load_otel_partition",
    "load_partition",
    "load_provider_costs",
    "load_reference",
    "load_roster",
    "load_usage_partition",
    "record_ignored_files",
]


def extract_all(
    con: duckdb.DuckDBPyConnection, landing_root: str, lake: raw_lake.Lake | None = None
) -> list[LoadResult]:
    """Load every partition and file of a landing zone (tests and plain-dbt
    users); with a `lake`, write it as the extraction assets do."""
    landing = LandingZone(landing_root)
    landing.check_readable()
    results = [load_roster(con, landing, lake)]
    results += [
        load_reference(con, landing, source, lake) for source in (PRICE_BOOK, CONTRACTS, IDENTITIES)
    ]
    results.append(load_provider_costs(con, landing, lake))
    for source in (USAGE, DEPLOYS, OTEL, LITELLM, COPILOT):
        results += [
            load_partition(con, landing, source, day, lake)
            for day in landing.partitions(source.name)
        ]
    record_ignored_files(con, landing)
    if lake is not None:
        # the accounting tables, written whole once every load is done
        raw_lake.sync(con, lake)
    return results
