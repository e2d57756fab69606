"""Where things live. Every path can be overridden by the environment so the same
code location serves a laptop demo and a scheduled production deployment."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"

# A usage or deploy file under dt=D may hold events of D-3 .. D (late arrival);
# a rollback may land up to 7 days after its delivery. Incremental runs recompute
# this many days before the first partition of the window.
LOOKBACK_DAYS = 7
# Timestamps up to one day after dt are tolerated (offsets across midnight).
LEAD_DAYS = 1


def landing_url() -> str:
    return os.environ.get("AIW_LANDING", DEFAULT_LANDING)


def serving_path() -> Path:
    return Path(os.environ.get("AIW_WAREHOUSE", DEFAULT_WAREHOUSE))


def work_path_for(serving: Path) -> Path:
    """The build database beside the serving file. BI never opens it, so the
    pipeline can hold its single DuckDB writer lock for as long as it needs."""
    serving = Path(serving)
    return serving.with_name(f"{serving.stem}.work.duckdb")
