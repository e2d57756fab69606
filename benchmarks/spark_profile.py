"""Where Spark spends a daily run, for sizing a cluster (docs/spark.md).

    uv run --group spark python benchmarks/spark_profile.py WAREHOUSE [--records 1000000]

WAREHOUSE is a serving file an `aiw run --engine spark` has built (its Spark
metastore and dbt's compiled SQL are reused; `make bench` keeps one with
`--workdir`). A bigger organisation's days are generated and extracted into a
lake of their own, the last day loaded again (so the rebuild queue holds one
delivery day, as in a daily run), the `raw` views repointed at that lake, and
the compiled SQL of the heaviest models run on local Spark (the dbt profile's
settings) into Spark's `noop` sink. For each model it prints wall seconds,
input rows and bytes, shuffle bytes written and read (from Spark's monitoring
REST API) and the exchanges of the executed plan, then the lake's bytes per
usage record. Figures on a shared machine: it prints the load average too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.run import requests_per_dev_day  # noqa: E402
from orchestration import lake  # noqa: E402
from orchestration.extract import USAGE, extract_all, load_partition  # noqa: E402
from orchestration.landing import LandingZone  # noqa: E402
from orchestration.settings import dbt_target_path_for, work_path_for  # noqa: E402
from orchestration.spark_env import spark_dir_for, spark_environment  # noqa: E402
from sample_data import generate_landing  # noqa: E402

# make bench's days (benchmarks/run.py START, small scale): the compiled daily SQL
# holds the days its run rebuilt, so the bigger lake covers the same days
START = dt.date(2026, 1, 5)
EMPLOYEES = 2000
# the models that read request-level rows, then the first models on the daily grain
MODELS = (
    "intermediate/usage/int_usage__daily_by_identity",
    "intermediate/usage/int_usage__daily_priced",
    "marts/fct_token_usage_daily",
)


def build_lake(scratch: Path, per_workday: int, days: int) -> tuple[lake.Lake, int, int]:
    """A generated organisation's lake whose queue holds its last day only;
    (lake, usage rows in all, usage rows of the last day)."""
    landing = scratch / "landing"
    generate_landing(
        out=str(landing),
        start=START,
        seed=23,
        bad_rate=0.001,
        progress=False,
        employees=EMPLOYEES,
        days=days,
        requests_per_dev_day=requests_per_dev_day(EMPLOYEES, days, per_workday),
    )
    target = lake.Lake(str(scratch / "lake"))
    con = duckdb.connect(str(scratch / "work.duckdb"))
    con.execute("SET TimeZone = 'UTC'")
    extract_all(con, str(landing), target)
    last = START + dt.timedelta(days=days - 1)
    con.execute("DELETE FROM raw.usage_days_to_rebuild")
    load_partition(con, LandingZone(str(landing)), USAGE, last, target)
    lake.sync(con, target)
    total = con.execute("SELECT count(*) FROM raw.usage_requests").fetchone()[0]
    day = con.execute("SELECT count(*) FROM raw.usage_requests WHERE dt = ?", [last]).fetchone()[0]
    con.close()
    return target, total, day


def reuse_lake(scratch: Path, days: int) -> tuple[lake.Lake, int, int]:
    con = duckdb.connect(str(scratch / "work.duckdb"), read_only=True)
    last = START + dt.timedelta(days=days - 1)
    total = con.execute("SELECT count(*) FROM raw.usage_requests").fetchone()[0]
    day = con.execute("SELECT count(*) FROM raw.usage_requests WHERE dt = ?", [last]).fetchone()[0]
    con.close()
    return lake.Lake(str(scratch / "lake")), total, day


def spark_session(work: Path, lake_url: str):
    """A local Spark with the dbt profile's settings over an existing metastore."""
    env = spark_environment(work)
    os.environ["JAVA_HOME"] = env["JAVA_HOME"]
    from pyspark.sql import SparkSession

    spark_dir = env["AIW_SPARK_DIR"]
    builder = (
        SparkSession.builder.master(os.environ.get("AIW_SPARK_MASTER", "local[2]"))
        .appName("aiw-spark-profile")
        .config("spark.ui.enabled", "true")  # its REST API gives the shuffle bytes
        .config("spark.ui.port", "0")
        .config("spark.sql.shuffle.partitions", os.environ.get("AIW_SPARK_SHUFFLE_PARTITIONS", "2"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "false")
        .config("spark.driver.memory", os.environ.get("AIW_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.warehouse.dir", f"{spark_dir}/warehouse")
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={spark_dir}/metastore_db;create=true",
        )
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={spark_dir}")
        .enableHiveSupport()
    )
    spark = builder.getOrCreate()
    for (table,) in [(row.tableName,) for row in spark.sql("show tables in raw").collect()]:
        spark.sql(
            f"create or replace view raw.{table} as select * from parquet.`{lake_url}/{table}`"
        )
    return spark


def stage_metrics(spark, group: str) -> dict:
    base = spark.sparkContext.uiWebUrl
    app = spark.sparkContext.applicationId
    stages = set()
    for job in json.load(urllib.request.urlopen(f"{base}/api/v1/applications/{app}/jobs")):
        if job.get("jobGroup") == group:
            stages.update(job["stageIds"])
    totals = dict.fromkeys(
        (
            "inputBytes",
            "inputRecords",
            "shuffleWriteBytes",
            "shuffleReadBytes",
            "executorRunTime",
            "executorCpuTime",
        ),
        0,
    )
    for stage in json.load(urllib.request.urlopen(f"{base}/api/v1/applications/{app}/stages")):
        if stage["stageId"] in stages:
            for key in totals:
                totals[key] += stage.get(key, 0)
    totals["stages"] = len(stages)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", help="a serving file `aiw run --engine spark` built")
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="usage records per working day"
    )
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--reuse", help="the scratch folder of an earlier profile: its lake again")
    args = parser.parse_args()
    work = work_path_for(Path(args.warehouse)).resolve()
    compiled = Path(f"{dbt_target_path_for(work)}-spark") / "compiled" / "ai_impact_warehouse"
    if not (spark_dir_for(work) / "metastore_db").exists() or not compiled.exists():
        raise SystemExit(f"{args.warehouse}: no Spark build here (run `aiw run --engine spark`)")
    started = time.perf_counter()
    if args.reuse:
        scratch = Path(args.reuse)
        target, total, day = reuse_lake(scratch, args.days)
    else:
        scratch = Path(tempfile.mkdtemp(prefix="aiw-spark-profile-"))
        target, total, day = build_lake(scratch, args.records, args.days)
    print(
        f"lake: {total:,} usage rows over {args.days} days, {day:,} on the queued day, "
        f"built in {time.perf_counter() - started:.0f} s"
    )
    usage_bytes = sum(
        p.stat().st_size for p in Path(target.root, "usage_requests").rglob("*.parquet")
    )
    print(f"  usage_requests in the lake: {usage_bytes / total:.1f} bytes per record")

    spark = spark_session(work, target.url)
    cores = spark.sparkContext.defaultParallelism
    print(f"local Spark {spark.version}, {cores} cores, load average {os.getloadavg()[0]:.1f}")
    for model in MODELS:
        sql = (compiled / "models" / f"{model}.sql").read_text()
        group = model.rsplit("/", 1)[-1]
        spark.sparkContext.setJobGroup(group, group)
        frame = spark.sql(sql)
        began = time.perf_counter()
        frame.write.format("noop").mode("overwrite").save()
        seconds = time.perf_counter() - began
        plan = frame._jdf.queryExecution().executedPlan().toString()
        exchanges = re.findall(
            r"(ShuffleExchange|Exchange hashpartitioning|Exchange rangepartitioning|Exchange SinglePartition|BroadcastExchange)",
            plan,
        )
        metrics = stage_metrics(spark, group)
        print(
            f"  {group}: {seconds:.1f} s wall, {metrics['stages']} stages, "
            f"input {metrics['inputRecords']:,} rows / {metrics['inputBytes'] / 2**20:.1f} MiB, "
            f"shuffle write {metrics['shuffleWriteBytes'] / 2**20:.1f} MiB, "
            f"read {metrics['shuffleReadBytes'] / 2**20:.1f} MiB, "
            f"task time {metrics['executorRunTime'] / 1000:.1f} s "
            f"(CPU {metrics['executorCpuTime'] / 1e9:.1f} s); "
            f"exchanges in the plan: {len(exchanges)} ({', '.join(sorted(set(exchanges))) or 'none'})"
        )
        if group == "int_usage__daily_by_identity":
            cpu = metrics["executorCpuTime"] / 1e9
            print(
                f"    {day / seconds / cores:,.0f} queued-day records per second per core (wall); "
                f"{metrics['inputRecords'] / cpu:,.0f} rows read per CPU second, "
                f"{metrics['shuffleWriteBytes'] / max(metrics['inputRecords'], 1):.1f} shuffle "
                "bytes per row read"
            )
    spark.stop()


if __name__ == "__main__":
    main()
