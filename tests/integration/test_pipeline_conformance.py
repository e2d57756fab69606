"""The public conformance case, end to end through `aiw run`: every BI table of
the serving file equals the expected rows computed from the specs."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.cli import main
from tests.conftest import CONFORMANCE, copy_of_published
from tests.dbt.conformance import compare_table

pytestmark = pytest.mark.xdist_group("conformance_pipeline")

EXPECTED = sorted(p.stem for p in (CONFORMANCE / "expected").glob("*.csv"))


@pytest.fixture(scope="module")
def serving(tmp_path_factory, conformance_published):
    return copy_of_published(conformance_published, tmp_path_factory.mktemp("conformance"))


@pytest.mark.parametrize("table", EXPECTED)
def test_bi_table_matches_expected_rows(serving, table):
    _, warehouse = serving
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        differences = compare_table(con, table, CONFORMANCE / "expected" / f"{table}.csv")
    finally:
        con.close()
    assert differences == []


def test_second_run_of_the_same_partitions_changes_nothing(serving, tmp_path):
    landing, warehouse = serving
    con = duckdb.connect(str(warehouse), read_only=True)
    before = {
        t: con.execute(f"SELECT count(*), sum(hash(x)::HUGEINT) FROM {t} AS x").fetchone()
        for t in EXPECTED
    }
    con.close()
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    after = {
        t: con.execute(f"SELECT count(*), sum(hash(x)::HUGEINT) FROM {t} AS x").fetchone()
        for t in EXPECTED
    }
    con.close()
    assert after == before


def test_the_first_run_of_a_new_warehouse_keeps_the_projects_dbt_parse(conformance_published):
    # The published folder holds one run. Its dbt started from the parse
    # `make manifest` made (dagster-dbt copies it into the run's target):
    # dbt kept it instead of parsing the project anew.
    log = (conformance_published / "warehouse.work.dbt-target" / "dbt.log").read_text()
    assert "Unable to do partial parsing" not in log
    assert "Partial parsing enabled" in log


def test_serving_file_has_no_raw_or_personal_data_in_marts(serving):
    _, warehouse = serving
    con = duckdb.connect(str(warehouse), read_only=True)
    schemas = {
        r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()
    }
    personal = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'marts' "
        "AND (column_name ILIKE '%email%' OR column_name ILIKE '%name%' AND column_name NOT IN ('team_name', 'org_name') "
        "OR column_name ILIKE '%salary%')"
    ).fetchall()
    described = con.execute(
        "SELECT count(*) FILTER (WHERE comment IS NULL OR comment = ''), count(*) FROM duckdb_columns() "
        "WHERE schema_name = 'marts' AND table_name = 'fct_normalized_deployments'"
    ).fetchone()
    con.close()
    assert schemas <= {"marts", "restricted", "audit"}
    assert personal == []
    assert described[0] == 0 and described[1] > 0


def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                "--landing",
                str(tmp_path / "missing"),
                "--warehouse",
                str(tmp_path / "w.duckdb"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]
    assert (
        main(
            [
                "run",
                "--landing",
                str(CONFORMANCE / "landing"),
                "--warehouse",
                str(tmp_path / "w.duckdb"),
                "--start",
                "2026-04-10",
                "--end",
                "2026-04-01",
            ]
        )
        == 2
    )
    assert "before --start" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--landing", "x", "--warehouse", "y", "--start", "April"])
    assert exit_info.value.code == 2
    assert not (tmp_path / "w.duckdb").exists()
