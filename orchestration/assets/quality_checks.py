"""The quality checks of data_quality as Dagster asset checks.

Each asset check opens a short-lived connection to the WORK database through
the `warehouse` resource, evaluates its data_quality check, appends the verdict
to audit.check_results and returns an AssetCheckResult carrying the figures.
ERROR checks are blocking: a failure stops `publish/serving_warehouse`, which
depends on every mart.
"""

# No `from __future__ import annotations` here: Dagster inspects the check
# function's annotations at runtime to find its context and resources.

import contextlib
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
import duckdb

from data_quality.audit import record
from data_quality.checks import CHECK_NAMES, SPECS, evaluate
from data_quality.config import DQConfig
from data_quality.core import CheckSpec, Outcome, Scope, fmt, jsonable, plain
from orchestration.partitions import days_from_tags
from orchestration.resources import WarehouseResource


def scope_from_tags(tags: Mapping[str, str]) -> Scope:
    """The run's delivery partitions, from the tags Dagster puts on a ranged
    backfill (`aiw run`) or a single-partition run (schedule, sensor)."""
    bounds = days_from_tags(tags)
    return Scope(*bounds) if bounds else Scope()


@contextlib.contextmanager
def _connect(warehouse: WarehouseResource, wait_seconds: float):
    """warehouse.connect(), waiting while another process holds the DuckDB writer lock."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.2
    while True:
        stack = contextlib.ExitStack()
        try:
            con = stack.enter_context(warehouse.connect())
            break
        except duckdb.IOException as exc:
            stack.close()
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    with stack:
        yield con


def _run_identity(context: dg.AssetCheckExecutionContext) -> tuple[str, Mapping[str, str]]:
    try:
        run = context.run
    except dg.DagsterError:
        # Direct invocation has no run; the audit row still needs a unique id.
        return f"direct-{uuid.uuid4()}", {}
    return run.run_id, run.tags


def _metadata_value(value: Any):
    value = plain(value)
    if value is None:
        return dg.MetadataValue.null()
    if isinstance(value, bool):
        return dg.MetadataValue.bool(value)
    if isinstance(value, int):
        return dg.MetadataValue.int(value)
    if isinstance(value, float):
        return dg.MetadataValue.float(value)
    if isinstance(value, str):
        return dg.MetadataValue.text(value)
    return dg.MetadataValue.json(jsonable(value))


def _metadata(outcome: Outcome, severity: str, scope: Scope) -> dict[str, Any]:
    metadata = {
        "observed_value": _metadata_value(outcome.observed),
        "threshold": _metadata_value(outcome.threshold),
        "summary": dg.MetadataValue.text(outcome.summary),
        "severity": dg.MetadataValue.text(severity),
        "scope": dg.MetadataValue.text(scope.describe()),
    }
    for key, value in outcome.figures.items():
        metadata[key] = _metadata_value(value)
    metadata["expectations"] = dg.MetadataValue.json(
        jsonable([v.as_dict() for v in outcome.verdicts])
    )
    return metadata


def _asset_check(spec: CheckSpec, config: DQConfig) -> dg.AssetChecksDefinition:
    severity = config.severity(spec.name, spec.default_severity)
    blocking = severity == "ERROR"

    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset)),
        name=spec.name,
        description=f"{spec.description} Severity {severity}{' (blocking)' if blocking else ''}.",
        blocking=blocking,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        run_id, tags = _run_identity(context)
        scope = scope_from_tags(tags)
        with _connect(warehouse, config.lock_wait_seconds) as con:
            outcome = evaluate(spec, con, config, scope)
            record(
                con,
                run_id=run_id,
                check_name=spec.name,
                asset=spec.asset_string,
                severity=severity,
                blocking=blocking,
                outcome=outcome,
            )
        log = context.log.info if outcome.passed else context.log.warning
        log(f"{spec.name} {'passed' if outcome.passed else 'FAILED'}: {outcome.summary}")
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity(severity),
            metadata=_metadata(outcome, severity, scope),
            description=outcome.summary,
        )

    return _check


def build_asset_checks(config: DQConfig | None = None) -> list[dg.AssetChecksDefinition]:
    config = config or DQConfig.from_env()
    unknown = sorted(set(config.severity_overrides) - set(CHECK_NAMES))
    if unknown:
        raise ValueError(f"AIW_DQ_SEVERITY names unknown checks: {', '.join(unknown)}")
    return [_asset_check(spec, config) for spec in SPECS]


def _field(evaluation: Any, name: str) -> Any:
    if isinstance(evaluation, Mapping):
        return evaluation.get(name)
    return getattr(evaluation, name, None)


def _figure(metadata: Mapping[str, Any] | None, key: str) -> Any:
    value = (metadata or {}).get(key)
    return getattr(value, "value", value)


def _is_blocking(evaluation: Any) -> bool:
    if isinstance(evaluation, Mapping):
        return bool(evaluation.get("blocking"))
    severity = getattr(evaluation, "severity", None)
    return bool(getattr(evaluation, "blocking", False)) and severity == dg.AssetCheckSeverity.ERROR


def failed_checks_summary(evaluations: Iterable[Any], *, blocking_only: bool = False) -> list[str]:
    """One line per failed check: "check <name> on <asset> failed: observed X, threshold Y".

    Takes Dagster AssetCheckEvaluations (ExecuteInProcessResult.get_asset_check_evaluations())
    or dicts with name/asset/passed/metadata[/blocking] keys (RunOutcome.checks)."""
    lines = []
    for evaluation in evaluations:
        if _field(evaluation, "passed"):
            continue
        if blocking_only and not _is_blocking(evaluation):
            continue
        name = _field(evaluation, "check_name") or _field(evaluation, "name")
        asset = _field(evaluation, "asset_key") or _field(evaluation, "asset")
        asset = asset.to_user_string() if isinstance(asset, dg.AssetKey) else asset
        metadata = _field(evaluation, "metadata")
        lines.append(
            f"check {name} on {asset} failed: observed {fmt(_figure(metadata, 'observed_value'))}, "
            f"threshold {fmt(_figure(metadata, 'threshold'))}"
        )
    return lines
