"""The dbt project as Dagster sees it: one cached DbtProject, keys from dbt metadata."""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster import get_dagster_logger
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
)
from packaging import version

from orchestration import child_guard
from orchestration.settings import DBT_PROJECT_DIR, dbt_executable


@functools.cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # `dagster dev` re-parses on start; everywhere else the manifest is built
    # ahead of time (make, `aiw`, CI) so importing the code location never runs dbt.
    project.prepare_if_dev()
    return project


class WarehouseDbtCli(DbtCliResource):
    """dbt's CLI without two start-up costs of every invocation that this
    pipeline never uses (about 11 s of a daily run on two cores).

    - dagster-dbt asks the dbt executable for its version (`dbt --version`, a
      process that imports dbt); dbt runs from this environment, so the
      installed dbt-core's version is the same answer.
    - It builds a dbt adapter in the Dagster process, which is only needed to
      fetch row counts or column metadata; the assets do neither.
    """

    @functools.cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):
        return None

    def cli(self, args: Sequence[str], **kwargs):
        # dbt's process inherits this: see orchestration/child_guard.py.
        os.environ[child_guard.PARENT_PID_ENV] = str(os.getpid())
        return super().cli(args, **kwargs)


def warehouse_dbt_cli() -> WarehouseDbtCli:
    """dbt started through child_guard, so it ends when the process that runs
    it is killed instead of holding the WORK database's lock as an orphan."""
    python, *guard = child_guard.command(dbt_executable())
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
