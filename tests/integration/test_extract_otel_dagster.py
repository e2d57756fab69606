"""The Claude Code telemetry asset, materialized in-process by Dagster through the
real loader: a daily partition of otel/ fills raw.claude_code_api_requests,
its accounting shows the skipped records, and the audit step lists the files
of otel/ that no run reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.assets.extraction import extraction_assets
from orchestration.automation import PARTITIONED_TABLES
from orchestration.code_location import landing_partitions
from orchestration.resources import LandingResource, WarehouseResource
from orchestration.settings import work_path_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources" / "otel"


def test_the_otel_asset_loads_a_partition_and_reports_its_accounting(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES, landing / "otel")
    (landing / "otel" / "dt=2026-04-07" / "notes.txt").write_text("not telemetry\n")
    serving = tmp_path / "warehouse.duckdb"
    partitions = landing_partitions(str(landing))
    # An otel-only landing zone has partitions: its first dt= day.
    assert partitions.get_first_partition_key() == "2026-04-07"
    assets = {k.to_user_string(): a for a in extraction_assets(partitions) for k in a.keys}
    # the sensor watches the new folder like usage/ and deploys/
    assert "claude_code_api_requests" in PARTITIONED_TABLES
    resources = {
        "landing": LandingResource(url=str(landing)),
        "warehouse": WarehouseResource(serving_path=str(serving)),
    }
    result = dg.materialize(
        [assets["raw/claude_code_api_requests"]], partition_key="2026-04-07", resources=resources
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert (
        metadata["lines_read"],
        metadata["rows_loaded"],
        metadata["rows_skipped"],
        metadata["rows_quarantined"],
    ) == (10, 7, 3, 0)
    assert "| skipped |" in metadata["per_file"]

    # the audit step lists what no run reads
    assert dg.materialize([assets["raw/landing_files"]], resources=resources).success
    with duckdb.connect(str(work_path_for(serving)), read_only=True) as con:
        assert con.execute(
            "SELECT count(*), count(DISTINCT request_id) FROM raw.claude_code_api_requests"
        ).fetchone() == (7, 5)
        files = con.execute(
            "SELECT source_file, file_status, lines_read, rows_loaded, rows_skipped, "
            "rows_quarantined, reason FROM raw.landing_files WHERE source = 'otel' ORDER BY 1"
        ).fetchall()
    assert files == [
        (
            "otel/dt=2026-04-07/claude_code-2026-04-07T10-30-00.000.jsonl",
            "loaded",
            7,
            4,
            3,
            0,
            None,
        ),
        (
            "otel/dt=2026-04-07/claude_code-2026-04-07T12-00-00.000.jsonl",
            "loaded",
            3,
            3,
            0,
            0,
            None,
        ),
        ("otel/dt=2026-04-07/notes.txt", "ignored", 0, 0, 0, 0, "unexpected_suffix"),
    ]


def test_aiw_run_loads_the_otel_folder_beside_the_gateway_log(tmp_path, capsys):
    from orchestration.cli import main
    from tests.conftest import CONFORMANCE

    landing = tmp_path / "landing"
    shutil.copytree(CONFORMANCE / "landing", landing)
    shutil.copytree(FIXTURES, landing / "otel")
    warehouse = tmp_path / "warehouse.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    summary = capsys.readouterr().out
    # the run's summary line of the asset (progress lines name it too)
    (line,) = [x for x in summary.splitlines() if x.startswith("  claude_code_api_requests ")]
    assert "read         10" in line and "loaded          7" in line
    assert "skipped (not usage) 3" in line
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute(
            "SELECT source_file, lines_read, rows_loaded, rows_skipped, rows_quarantined "
            "FROM audit.landing_files WHERE source = 'otel' ORDER BY 1"
        ).fetchall()
    assert published == [
        ("otel/dt=2026-04-07/claude_code-2026-04-07T10-30-00.000.jsonl", 7, 4, 3, 0),
        ("otel/dt=2026-04-07/claude_code-2026-04-07T12-00-00.000.jsonl", 3, 3, 0, 0),
    ]
    with duckdb.connect(str(work_path_for(warehouse)), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.claude_code_api_requests").fetchone() == (7,)
