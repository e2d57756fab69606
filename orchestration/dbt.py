"""The dbt project as Dagster sees it: one cached DbtProject, keys from dbt metadata."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import get_dagster_logger
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
)

from orchestration import child_guard, shortcuts
from orchestration.dbt_manifest import WORK_DB_ENV, ensure_manifest
from orchestration.settings import DBT_PROJECT_DIR, dbt_executable, engine


@functools.cache
def dbt_project() -> DbtProject:
    """The dbt project with a current manifest, once per process. Parsing
    happens here, on first use, not at import: whatever imports the code
    location first, the manifest is current before the dbt assets read it."""
    # Parses only when the manifest is missing or older than the project's
    # files (make and `aiw` get a no-op); `dagster dev` re-parses on start.
    ensure_manifest(DBT_PROJECT_DIR)
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    project.prepare_if_dev()
    return project


class WarehouseDbtCli(shortcuts.DbtCliWithoutProbes):
    def cli(self, args: Sequence[str], **kwargs):
        # dbt's process inherits this: see orchestration/child_guard.py.
        os.environ[child_guard.PARENT_PID_ENV] = str(os.getpid())
        return super().cli(args, **kwargs)


def warehouse_dbt_cli(work_path: Path) -> WarehouseDbtCli:
    """dbt on the WORK database `work_path`, started through child_guard, so it
    ends when the process that runs it is killed instead of holding the WORK
    database's lock as an orphan. The guard sets the profile's AIW_WORK_DB in
    dbt's process only: the Dagster process's environment is left alone, so
    runs for other warehouses in it are not affected.

    dbt starts in the WORK database's folder, and the profile names the file
    relative to it: dbt keeps its parse only while the profile's connection
    settings stay the same, so every WORK file of the same name (the default
    warehouse.work.duckdb) reuses the parse `make manifest` made
    (orchestration/dbt_manifest.py) on its first run instead of parsing anew."""
    work_path = Path(work_path).resolve()
    env = {WORK_DB_ENV: work_path.name}
    if engine() == "spark":
        # JAVA_HOME and the folders of the `spark` target (orchestration.spark_env)
        from orchestration.spark_env import spark_environment

        base = spark_environment(Path(work_path), base={})
        env.update({k: base[k] for k in ("JAVA_HOME", "AIW_SPARK_DIR", "AIW_LAKE_DIR")})
        env_spark = {"SPARK_LOCAL_DIRS": base["SPARK_LOCAL_DIRS"]}
    else:
        env_spark = {}
    python, *guard = child_guard.command(
        dbt_executable(),
        env=env,
        # A subset run (a few models from the UI) runs the tests of those
        # models only, not relationship tests reaching unselected ones
        # (dbt's default); dagster-dbt's own choice, when it makes one, wins.
        env_defaults={"DBT_INDIRECT_SELECTION": "cautious", **env_spark},
        cwd=work_path.parent,
    )
    return WarehouseDbtCli(
        project_dir=dbt_project(), dbt_executable=python, global_config_flags=guard
    )


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Asset keys are [schema, name] unless a node's meta.dagster.asset_key says
    otherwise; groups are the model's top folder (staging, intermediate, marts)."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        meta_key = (dbt_resource_props.get("meta") or {}).get("dagster", {}).get("asset_key")
        if meta_key:
            return dg.AssetKey(meta_key)
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            schema = (dbt_resource_props.get("config") or {}).get("schema") or "main"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn") or []
        if dbt_resource_props.get("resource_type") == "model" and len(fqn) > 2:
            return fqn[1]
        return super().get_group_name(dbt_resource_props)


class _SourceTestNotice(logging.Filter):
    """dbt's tests on sources (not-null keys of the raw tables) run with every
    build and are recorded as observations of the raw assets. dagster-dbt warns
    about each one: they are not asset checks. Making them checks would split
    the dbt step in two (the raw assets they check come before it), i.e. two
    dbt invocations per run; so the expected notice is dropped instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(
            "Logging an `AssetObservation` instead of an `AssetCheckResult`"
        )


get_dagster_logger().addFilter(_SourceTestNotice())
