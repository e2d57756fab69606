"""The daily job, its schedule, and the sensor that reacts to landed partitions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import dagster as dg

from orchestration.extract.sources import PARTITIONED
from orchestration.landing import PARTITIONED_SOURCES, LandingZone
from orchestration.resources import LandingResource

JOB_NAME = "daily_warehouse"
# The partitioned extraction assets, one per PARTITIONED_SOURCES folder.
PARTITIONED_TABLES = tuple(source.table for source in PARTITIONED)
# Runs that write one WORK database carry its path in this tag; the instance
# this project creates (orchestration/instance.py) lets one such run at a time
# leave the queue, so a waiting run shows as Queued rather than as Started.
WAREHOUSE_TAG = "aiw/warehouse"


def build_daily_job(work_db: str) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        JOB_NAME,
        selection=dg.AssetSelection.all(),
        tags={WAREHOUSE_TAG: work_db},
        description="Extract, build, check and publish one or more delivery days.",
    )


@dg.schedule(
    job_name=JOB_NAME,
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    name="daily_warehouse_schedule",
    # Off by default: the sensor already runs each day when its folder lands
    # (and again for late or corrected files); both on would load a day twice.
    # Turn this on, and the sensor off, where listing the landing zone every few
    # minutes is unwelcome.
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Yesterday's delivery partition, early morning UTC, once the gateway and CD
    exports of the day are complete. (The partitions admit today too, for the
    sensor, so the last partition is not the one to schedule.)"""
    yesterday = context.scheduled_execution_time.date() - dt.timedelta(days=1)
    return dg.RunRequest(run_key=yesterday.isoformat(), partition_key=yesterday.isoformat())


def _listing(zone: LandingZone, day: dt.date) -> list[list]:
    listing = []
    for source in PARTITIONED_SOURCES:
        for relative in zone.partition_files(source, day):
            info = zone.fs.info(f"{zone.root}/{relative}")
            listing.append(
                [
                    relative,
                    info.get("size"),
                    str(info.get("mtime") or info.get("LastModified") or ""),
                ]
            )
    return listing


def _fingerprint(listing: list[list]) -> str:
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]


def _newest_change(listing: list[list]) -> float:
    newest = 0.0
    for _, _, mtime in listing:
        try:
            newest = max(newest, float(mtime))
        except ValueError:
            try:
                newest = max(newest, dt.datetime.fromisoformat(mtime).timestamp())
            except ValueError:
                return float("inf")  # unknown: treat as changed
    return newest


def _loaded_since(instance: dg.DagsterInstance, key: str, newest_change: float) -> bool:
    """Was partition `key` of every partitioned raw asset materialized after its
    newest file changed? (How the sensor starts on an instance where `aiw run`
    already loaded the landing zone, instead of loading it all again.)"""
    for source in PARTITIONED_TABLES:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["raw", source]), asset_partitions=[key]),
            limit=1,
        ).records
        if not records or records[0].timestamp < newest_change:
            return False
    return True


def _blocks(days: list[dt.date], delivered: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive changed days as ranges; a gap with no delivery at all (a
    weekend) does not split a range, since extracting an empty day costs nothing."""
    blocks: list[list[dt.date]] = []
    for day in days:
        if blocks:
            last = blocks[-1][1]
            between = {last + dt.timedelta(days=i) for i in range(1, (day - last).days)}
            if not between & delivered:
                blocks[-1][1] = day
                continue
        blocks.append([day, day])
    return [(a, b) for a, b in blocks]


def build_sensor(partitions_def: dg.TimeWindowPartitionsDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        job_name=JOB_NAME,
        name="landed_partitions_sensor",
        minimum_interval_seconds=300,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def landed_partitions_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
        """Requests a run for the dt= folders that are new or whose files changed
        (a re-delivery), so late and corrected data flow in without a manual
        backfill. Consecutive changed days go in one run over their range, as
        `aiw run` does; a day already loaded by any run since its files last
        changed is not requested again."""
        zone = landing.zone()
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        valid_keys = set(partitions_def.get_partition_keys())
        delivered = sorted({d for s in PARTITIONED_SOURCES for d in zone.partitions(s)})
        changed: list[dt.date] = []
        for day in delivered:
            key = day.isoformat()
            if key not in valid_keys:
                context.log.info(
                    f"dt={key} is outside the partitions {partitions_def.start:%Y-%m-%d} .. "
                    "today: reload the code location to admit it"
                )
                continue
            listing = _listing(zone, day)
            fingerprint = _fingerprint(listing)
            if seen.get(key) == fingerprint:
                continue
            if key not in seen and _loaded_since(context.instance, key, _newest_change(listing)):
                seen[key] = fingerprint
                continue
            seen[key] = fingerprint
            changed.append(day)
        for first, last in _blocks(changed, set(delivered)):
            keys = [d.isoformat() for d in changed if first <= d <= last]
            run_key = f"{first}..{last}:" + _fingerprint([[k, seen[k]] for k in keys])
            if first == last:
                yield dg.RunRequest(run_key=run_key, partition_key=first.isoformat())
            else:
                yield dg.RunRequest(
                    run_key=run_key,
                    tags={
                        "dagster/asset_partition_range_start": first.isoformat(),
                        "dagster/asset_partition_range_end": last.isoformat(),
                    },
                )
        context.update_cursor(json.dumps(seen, sort_keys=True))

    return landed_partitions_sensor
