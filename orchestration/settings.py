"""Where things live. Every path can be overridden by the environment so the same
code location serves a laptop demo and a scheduled production deployment."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


def dbt_project_var(name: str):
    """A var of dbt_project.yml, where settings that the dbt project and the
    Python side both know are set once (dbt reads them with var())."""
    with (DBT_PROJECT_DIR / "dbt_project.yml").open(encoding="utf-8") as project:
        return yaml.safe_load(project)["vars"][name]


# A usage file under dt=D may hold events of D-3 .. D (the contract's late
# arrival). The pipeline does not rely on it: dbt rebuilds the request days the
# delivered rows actually hold (raw.usage_days_to_rebuild). The benchmark uses
# it to build a warehouse holding only the days a daily run touches.
LOOKBACK_DAYS = int(dbt_project_var("aiw_usage_late_days"))
# An event timestamp more than this many days after its file's delivery day is
# quarantined (`timestamp_after_delivery`).
EVENT_LEAD_DAYS = int(dbt_project_var("aiw_event_lead_days"))


# The first delivery day the warehouse has partitions for. Extraction rejects
# event timestamps before it (`timestamp_before_partitions`): no partition, and
# no dbt window, could ever hold them.
DEFAULT_PARTITIONS_START = "2025-01-01"


def partitions_start() -> dt.date:
    return dt.date.fromisoformat(os.environ.get("AIW_PARTITIONS_START", DEFAULT_PARTITIONS_START))


# DuckDB caches up to 80 % of RAM by default; a cap keeps the pipeline's
# footprint predictable next to other jobs (it spills to disk beyond it). The
# extraction/check process and dbt's process each get this much, one at a time.
DEFAULT_DUCKDB_MEMORY_LIMIT = "2GB"


def duckdb_memory_limit() -> str:
    return os.environ.get("AIW_DUCKDB_MEMORY_LIMIT", DEFAULT_DUCKDB_MEMORY_LIMIT)


# The serving file is written in the storage format of this DuckDB version, not
# the newest one the installed DuckDB knows: BI drivers (the DuckDB CLI, the
# Node client Evidence uses, JDBC/ODBC) often lag by a release or two and refuse
# a file from the future. "latest" opts into the newest format.
DEFAULT_SERVING_STORAGE_VERSION = "v1.1.0"


def serving_storage_version() -> str:
    return os.environ.get("AIW_SERVING_STORAGE_VERSION", DEFAULT_SERVING_STORAGE_VERSION)


def landing_url() -> str:
    return os.environ.get("AIW_LANDING", DEFAULT_LANDING)


def serving_path() -> Path:
    return Path(os.environ.get("AIW_WAREHOUSE", DEFAULT_WAREHOUSE))


def work_path_for(serving: Path) -> Path:
    """The build database beside the serving file. BI never opens it, so the
    pipeline can hold its single DuckDB writer lock for as long as it needs."""
    serving = Path(serving)
    return serving.with_name(f"{serving.stem}.work.duckdb")


def report_path_for(serving: Path) -> Path:
    """The dashboard the pipeline refreshes after each publish, beside the serving file."""
    serving = Path(serving)
    return serving.with_name(f"{serving.stem}.report.html")


def dbt_target_path_for(work: Path) -> Path:
    """dbt's target folder for one WORK database: its run results and its
    parse, which stays valid while the database's profile settings do."""
    work = Path(work).resolve()
    return work.parent / f"{work.stem}.dbt-target"


def dbt_executable() -> str:
    """The dbt installed beside this Python (the project's virtualenv), so `aiw`
    works when called by path, without the virtualenv on PATH; else PATH's."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else shutil.which("dbt") or "dbt"


# The engine dbt builds with: "duckdb" (default) or "spark" (the same models on
# local Spark over the Parquet lake; README "Beyond one machine").
ENGINES = ("duckdb", "spark")


def engine() -> str:
    value = os.environ.get("AIW_ENGINE", "duckdb").strip().lower() or "duckdb"
    if value not in ENGINES:
        raise ValueError(f"AIW_ENGINE must be one of {', '.join(ENGINES)}, not {value!r}")
    return value


# The raw Parquet lake both engines read (docs/architecture.md, "The raw layer
# on Spark"): a folder or any fsspec URL. Setting it turns the lake on, so
# extraction writes it as it loads; `--engine spark` turns it on by itself,
# beside the WORK file. Unset with the DuckDB engine: no lake, no cost.
def lake_setting() -> str | None:
    return os.environ.get("AIW_LAKE", "").strip() or None
