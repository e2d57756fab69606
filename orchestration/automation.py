"""The daily schedule and the sensor that reacts to newly landed partitions."""

import datetime as dt
import hashlib
import json

import dagster as dg

from orchestration.landing import PARTITIONED_SOURCES
from orchestration.partitions import daily_partitions
from orchestration.resources import LandingResource

daily_job = dg.define_asset_job(
    "daily_warehouse",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Extract, build, check and publish one or more delivery days.",
)


@dg.schedule(
    job=daily_job,
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    name="daily_warehouse_schedule",
)
def daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Yesterday's delivery partition, early morning UTC, once the gateway and CD
    exports of the day are complete. (The partitions admit today too, for the
    sensor, so the last partition is not the one to schedule.)"""
    yesterday = context.scheduled_execution_time.date() - dt.timedelta(days=1)
    return dg.RunRequest(run_key=yesterday.isoformat(), partition_key=yesterday.isoformat())


def _fingerprint(landing: LandingResource, day) -> str:
    zone = landing.zone()
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
    return hashlib.sha256(json.dumps(listing).encode()).hexdigest()[:16]


@dg.sensor(
    job=daily_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED
)
def landed_partitions_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    """Requests a run for every dt= folder that is new or whose files changed
    (a re-delivery), so late and corrected data flow in without a manual backfill."""
    zone = landing.zone()
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    valid_keys = set(daily_partitions.get_partition_keys())
    days = sorted({d for s in PARTITIONED_SOURCES for d in zone.partitions(s)})
    for day in days:
        key = day.isoformat()
        if key not in valid_keys:
            continue
        fingerprint = _fingerprint(landing, day)
        if seen.get(key) != fingerprint:
            seen[key] = fingerprint
            yield dg.RunRequest(run_key=f"{key}:{fingerprint}", partition_key=key)
    context.update_cursor(json.dumps(seen, sort_keys=True))
