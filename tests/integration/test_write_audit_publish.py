"""A failed blocking check keeps the serving file exactly as it was, and says why."""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import pytest

from orchestration.cli import main
from tests.conftest import copy_of_published
from tests.landing_builder import usage_record, write_usage

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("write_audit_publish")]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def published(tmp_path_factory, conformance_published):
    return copy_of_published(conformance_published, tmp_path_factory.mktemp("wap"))


def run(landing, serving) -> int:
    return main(["run", "--landing", str(landing), "--warehouse", str(serving)])


def test_stricter_threshold_fails_the_run_and_keeps_the_serving_file(
    published, monkeypatch, capsys
):
    landing, serving = published
    before = digest(serving)
    capsys.readouterr()
    # The conformance case has 1 unattributed normalized deployment of 17 (0.0588).
    monkeypatch.setenv("AIW_DQ_MAX_UNATTRIBUTED_DEPLOYMENT_SHARE", "0.05")
    assert run(landing, serving) == 1
    out, err = capsys.readouterr()
    assert "[BLOCKING] deployments_unattributed_share on marts/fct_normalized_deployments" in out
    assert "0.0588" in out  # the observed figure is printed
    assert "was left as it was" in err
    assert digest(serving) == before


def test_unattributed_burst_in_the_landing_zone_is_caught(published, tmp_path, capsys):
    landing, serving = published
    corrupted = tmp_path / "landing"
    shutil.copytree(landing, corrupted)
    burst = [
        usage_record(
            f"burst-{i}",
            timestamp="2026-04-24T12:00:00Z",
            user_email=f"stranger{i}@elsewhere.example",
            usage={
                "input_tokens": 900000,
                "output_tokens": 1000,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        )
        for i in range(40)
    ]
    write_usage(corrupted, "2026-04-24", "gw-burst.jsonl.gz", burst)
    before = digest(serving)
    capsys.readouterr()
    assert run(corrupted, serving) == 1
    out, _ = capsys.readouterr()
    assert "tokens_unattributed_share on marts/fct_token_usage_daily" in out
    assert digest(serving) == before
    con = duckdb.connect(str(serving), read_only=True)
    assert (
        con.execute(
            "SELECT count(*) FROM marts.fct_token_usage_daily WHERE employee_id IS NULL AND usage_date = DATE '2026-04-24'"
        ).fetchone()[0]
        == 0
    )
    con.close()


def test_check_results_of_the_published_run_are_in_the_serving_file(published):
    _, serving = published
    con = duckdb.connect(str(serving), read_only=True)
    results = con.execute(
        "SELECT check_name, passed, severity FROM audit.check_results ORDER BY checked_at DESC"
    ).fetchall()
    columns = {c[0] for c in con.execute("DESCRIBE audit.check_results").fetchall()}
    con.close()
    assert {
        "run_id",
        "checked_at",
        "check_name",
        "asset",
        "passed",
        "severity",
        "observed_value",
        "threshold",
    } <= columns
    assert ("deployments_reconcile_with_raw", True, "ERROR") in results
