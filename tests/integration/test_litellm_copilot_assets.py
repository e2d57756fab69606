"""The LiteLLM, Copilot and identity-map extraction assets, run by Dagster
in-process over the hand-written fixtures, and part of the job `aiw run` runs."""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import duckdb

from orchestration.settings import work_path_for
from tests.litellm_copilot_builder import SOURCES

DAY = "2026-04-07"
LITELLM = dg.AssetKey(["raw", "litellm_spend_logs"])
COPILOT = dg.AssetKey(["raw", "copilot_user_days"])
IDENTITIES = dg.AssetKey(["raw", "identities"])
AUDIT = dg.AssetKey(["raw", "landing_files"])
# landing_audit writes these together
AUDIT_KEYS = [
    AUDIT,
    *(
        dg.AssetKey(["raw", name])
        for name in ("quarantined_records", "pseudonym_key", "usage_days_to_rebuild")
    ),
]


def _landing(tmp_path):
    root = tmp_path / "landing"
    shutil.copytree(SOURCES, root)
    # delivered, but not where or how a run reads them
    (root / "copilot" / f"dt={DAY}" / "users-1-day.json").write_text("[]\n")
    (root / "litellm" / "spend_logs.jsonl").write_text("{}\n")
    return root


def _metadata(result, key):
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_assets_load_the_fixtures_and_the_audit_lists_unread_files(tmp_path):
    from orchestration.assets.extraction import extraction_assets
    from orchestration.partitions import delivery_partitions
    from orchestration.resources import LandingResource, WarehouseResource

    landing = _landing(tmp_path)
    serving = tmp_path / "warehouse.duckdb"
    assets = extraction_assets(delivery_partitions(dt.date(2026, 4, 1)))
    resources = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(serving_path=str(serving)),
    }
    instance = dg.DagsterInstance.ephemeral()

    daily = dg.materialize(
        assets,
        selection=[LITELLM, COPILOT],
        partition_key=DAY,
        resources=resources,
        instance=instance,
    )
    whole = dg.materialize(
        assets, selection=[IDENTITIES, *AUDIT_KEYS], resources=resources, instance=instance
    )

    assert daily.success and whole.success
    litellm = _metadata(daily, LITELLM)
    assert (litellm["files"], litellm["lines_read"], litellm["rows_loaded"]) == (1, 6, 6)
    assert _metadata(daily, COPILOT)["rows_loaded"] == 4
    assert _metadata(whole, IDENTITIES)["rows_loaded"] == 10
    audit = _metadata(whole, AUDIT)
    assert audit["ignored_by_reason"] == {"unexpected_place": 1, "unexpected_suffix": 1}

    with duckdb.connect(str(work_path_for(serving)), read_only=True) as con:
        files = con.execute(
            "SELECT source, dt, source_file, file_status, reason, table_name "
            "FROM raw.landing_files ORDER BY source_file"
        ).fetchall()
        days = con.execute("SELECT DISTINCT usage_date FROM raw.usage_days_to_rebuild").fetchall()
    assert files == [
        (
            "copilot",
            dt.date(2026, 4, 7),
            "copilot/dt=2026-04-07/users-1-day.json",
            "ignored",
            "unexpected_suffix",
            None,
        ),
        (
            "copilot",
            dt.date(2026, 4, 7),
            "copilot/dt=2026-04-07/users-1-day_2026-04-06.ndjson",
            "loaded",
            None,
            "copilot_user_days",
        ),
        (
            "litellm",
            dt.date(2026, 4, 7),
            "litellm/dt=2026-04-07/spend_logs_2026-04-06.jsonl",
            "loaded",
            None,
            "litellm_spend_logs",
        ),
        ("litellm", None, "litellm/spend_logs.jsonl", "ignored", "unexpected_place", None),
        ("reference", None, "reference/identities.csv", "loaded", None, "identities"),
    ]
    assert sorted(d for (d,) in days) == [dt.date(2026, 4, 4), dt.date(2026, 4, 6)]


def test_the_daily_job_that_aiw_run_runs_includes_the_new_assets(tmp_path):
    from orchestration.automation import JOB_NAME
    from orchestration.code_location import build_definitions

    defs = build_definitions(str(_landing(tmp_path)), str(tmp_path / "w.duckdb"))
    job = defs.resolve_job_def(JOB_NAME)
    keys = set(job.asset_layer.executable_asset_keys)
    assert {LITELLM, COPILOT, IDENTITIES} <= keys
    # the landing zone's litellm/ and copilot/ folders alone set the partitions
    graph = defs.resolve_asset_graph()
    assert graph.get(LITELLM).partitions_def.get_first_partition_key() == DAY
    assert graph.get(COPILOT).partitions_def == graph.get(LITELLM).partitions_def
