"""Resources: the landing zone and the two DuckDB files."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.landing import LandingZone
from orchestration.settings import duckdb_memory_limit, work_path_for
from orchestration.warehouse_lock import warehouse_lock


class LandingResource(dg.ConfigurableResource):
    """The landing zone: a local folder or any fsspec URL (s3://, gs://, memory://)."""

    url: str

    def zone(self) -> LandingZone:
        return LandingZone(self.url)


class WarehouseResource(dg.ConfigurableResource):
    """The serving file BI reads and the WORK file the pipeline builds in."""

    serving_path: str

    @property
    def serving(self) -> Path:
        return Path(self.serving_path)

    @property
    def work(self) -> Path:
        return work_path_for(self.serving)

    def lake(self):
        """The raw Parquet lake extraction writes, or None when it is off (orchestration/lake.py)."""
        from orchestration.lake import lake_for

        return lake_for(self.work)

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseResource]:
        """Hold the WORK database's lock while this resource is in use: for the
        whole run under the in-process executor (one process owns the file from
        extraction to publish), for one step under the multiprocess executor
        (steps then take turns). A second run waits here; it never fails on
        DuckDB's "Could not set lock"."""
        log = context.log

        def waiting(holder: str) -> None:
            if log is not None:
                log.info(f"waiting for the warehouse {self.serving}: held by {holder}")

        run_id = context.run.run_id if context.run is not None else ""
        with warehouse_lock(self.serving, what=f"dagster run {run_id}".strip(), on_wait=waiting):
            yield self

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived writer connection to the WORK file. Each step opens and
        closes its own, because dbt needs the single DuckDB writer lock next."""
        self.work.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.work))
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(f"SET memory_limit = '{duckdb_memory_limit()}'")
            yield con
        finally:
            con.close()
