"""The serving file opens in DuckDB releases older than the one that writes it,
column comments included, because BI drivers lag behind."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import duckdb
import pytest

from orchestration.publish import publish
from orchestration.settings import REPO_ROOT
from tests.duckdb_files import table_names

# The oldest release the README promises, and the last 1.x.
OLD_DUCKDB = ["1.1.*", "1.4.*"]
NETWORK_TROUBLE = (
    "failed to fetch",
    "error sending request",
    "dns error",
    "connection refused",
    "could not connect",
    "network is unreachable",
    "timed out",
)

READER = textwrap.dedent(
    """
    import json, sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(json.dumps({
        "version": duckdb.__version__,
        "weeks": con.execute(
            "SELECT count(*), sum(normalized_deployments) FROM marts.team_weekly_metrics"
        ).fetchone(),
        "comment": con.execute(
            "SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' "
            "AND table_name = 'team_weekly_metrics' AND column_name = 'adoption_rate'"
        ).fetchone()[0],
        "tables": sorted(f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()").fetchall()),
    }))
    """
)


def _uv() -> str | None:
    local = REPO_ROOT / ".tools" / "bin" / "uv"
    return shutil.which("uv") or (str(local) if local.exists() else None)


def read_with_duckdb(version: str, path) -> dict:
    uv = _uv()
    if uv is None:
        pytest.fail("uv is neither on PATH nor in .tools/bin (make setup installs it)")
    result = subprocess.run(
        [
            uv,
            "run",
            "--isolated",
            "--no-project",
            "--python",
            sys.executable,
            "--with",
            f"duckdb=={version}",
            "python",
            "-c",
            READER,
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0 and any(w in result.stderr.lower() for w in NETWORK_TROUBLE):
        pytest.skip(
            f"the package index is unreachable, DuckDB {version} not installed: "
            f"{result.stderr.strip().splitlines()[-1]}"
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def serving(organisation_published):
    return organisation_published / "warehouse.duckdb"


@pytest.mark.slow
# the dashboard tests' worker, which publishes the organisation read here
@pytest.mark.xdist_group("dashboard")
@pytest.mark.parametrize("version", OLD_DUCKDB)
def test_an_older_duckdb_reads_the_serving_file_and_its_comments(serving, version):
    con = duckdb.connect(str(serving), read_only=True)
    try:
        expected_weeks = list(
            con.execute(
                "SELECT count(*), sum(normalized_deployments) FROM marts.team_weekly_metrics"
            ).fetchone()
        )
        expected_comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE schema_name = 'marts' "
            "AND table_name = 'team_weekly_metrics' AND column_name = 'adoption_rate'"
        ).fetchone()[0]
    finally:
        con.close()
    tables = table_names(serving)
    seen = read_with_duckdb(version, serving)
    assert seen["version"].startswith(version.rstrip("*"))
    assert seen["weeks"] == expected_weeks and expected_weeks[0] > 0
    assert expected_comment and seen["comment"] == expected_comment
    assert seen["tables"] == tables


def _work_database(path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.t AS SELECT 1 AS x")
    con.execute("COMMENT ON COLUMN marts.t.x IS 'one'")
    con.close()


def _storage_tag(path) -> str:
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{path}' AS served (READ_ONLY)")
        return con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'served'"
        ).fetchone()[0]
    finally:
        con.close()


def test_the_storage_version_is_configurable(tmp_path, monkeypatch):
    work = tmp_path / "w.work.duckdb"
    _work_database(work)
    publish(work, tmp_path / "default.duckdb")
    monkeypatch.setenv("AIW_SERVING_STORAGE_VERSION", "latest")
    publish(work, tmp_path / "latest.duckdb")
    default, latest = (
        _storage_tag(tmp_path / "default.duckdb"),
        _storage_tag(tmp_path / "latest.duckdb"),
    )
    assert default.startswith("v1."), default
    assert latest != default, latest
