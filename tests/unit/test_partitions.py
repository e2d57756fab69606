import datetime as dt

import duckdb

from orchestration.partitions import DBT_BUILD_ARGS, loaded_partitions

D = dt.date


def test_dbt_gets_no_window_and_no_vars():
    # the usage model reads its days from raw.usage_days_to_rebuild: a window
    # flag would span oldest..newest, and --vars would make dbt re-parse
    assert DBT_BUILD_ARGS == ["build"]


def test_loaded_partitions_are_the_delivery_days_with_files():
    con = duckdb.connect()
    assert loaded_partitions(con) == set()  # a new WORK database
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.landing_files (source VARCHAR, dt DATE, file_status VARCHAR)")
    con.execute(
        "INSERT INTO raw.landing_files VALUES ('usage', '2026-04-10', 'loaded'), "
        "('usage', '2026-04-10', 'quarantined'), ('deploys', '2026-04-12', 'quarantined'), "
        "('roster', NULL, 'loaded'), ('reference', NULL, 'loaded'), "
        # a file no run reads was never loaded
        "('usage', '2026-04-11', 'ignored')"
    )
    assert loaded_partitions(con) == {D(2026, 4, 10), D(2026, 4, 12)}


def test_partition_tags_are_the_ones_dagster_puts_on_runs():
    from dagster._core.storage import tags

    from orchestration import partitions

    assert partitions.PARTITION_NAME_TAG == tags.PARTITION_NAME_TAG
    assert partitions.ASSET_PARTITION_RANGE_START_TAG == tags.ASSET_PARTITION_RANGE_START_TAG
    assert partitions.ASSET_PARTITION_RANGE_END_TAG == tags.ASSET_PARTITION_RANGE_END_TAG
