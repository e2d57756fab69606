"""The persistent Dagster instance `aiw run` records its runs in.

`DAGSTER_HOME` when set (the instance a deployment's `dagster dev` or daemon
uses), else `dagster_home/` beside the serving file (`data/dagster_home` for
the demo), so `dagster dev` started on that folder afterwards shows the
materializations, check results and run history of every `aiw run`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Written into a home that is new or empty, never over an existing
# dagster.yaml. One run per WORK database leaves the run queue at a time: a
# second run shows as Queued while the first writes, instead of as Started
# while it waits for the warehouse lock.
DAGSTER_YAML = """\
# Written by ai-impact-warehouse (orchestration/instance.py); edit freely.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: aiw/warehouse
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""


def dagster_home_for(serving_path: Path) -> Path:
    configured = os.environ.get("DAGSTER_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(serving_path).resolve().parent / "dagster_home"


def ensure_home(home: Path) -> Path:
    """Create the home (and its dagster.yaml when this project creates it)."""
    created = not home.exists()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if (created or not any(home.iterdir())) and not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def persistent_instance(serving_path: Path):
    from dagster import DagsterInstance

    home = ensure_home(dagster_home_for(serving_path))
    return DagsterInstance.from_config(str(home))


if __name__ == "__main__":
    # `make ui`: prepare the home of AIW_WAREHOUSE's runs (the demo's by default) and print it.
    from orchestration.settings import serving_path

    serving = Path(sys.argv[1]) if len(sys.argv) > 1 else serving_path()
    print(ensure_home(dagster_home_for(serving)))
