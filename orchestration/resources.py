"""Resources: the landing zone and the two DuckDB files."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.landing import LandingZone
from orchestration.settings import duckdb_memory_limit, work_path_for


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
