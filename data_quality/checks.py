"""The quality checks as Dagster asset checks.

Every check reads the WORK database through the `warehouse` resource,
aggregates in DuckDB, judges the small result with a Great Expectations suite
(data_quality.expectations), appends its verdict to audit.check_results and
returns an AssetCheckResult carrying the figures. ERROR checks are blocking:
a failure stops `publish/serving_warehouse`, which depends on every mart.
"""

# No `from __future__ import annotations` here: Dagster inspects the check
# function's annotations at runtime to find its context and resources.

import contextlib
import time
import traceback
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster._core.errors import DagsterInvalidPropertyError

from data_quality import (
    attribution,
    dedupe,
    denominators,
    deployments,
    freshness,
    reconciliation,
    sources,
)
from data_quality.audit import record
from data_quality.config import DQConfig
from data_quality.core import CheckSpec, Connection, Outcome, Scope, fmt, jsonable, plain
from data_quality.expectations import Verdict
from orchestration.partitions import days_from_tags
from orchestration.resources import WarehouseResource

FACT_DEPLOYMENTS = ("marts", "fct_normalized_deployments")
FACT_USAGE = ("marts", "fct_token_usage_daily")
WEEKLY = ("marts", "team_weekly_metrics")
RECONCILIATION = ("marts", "cost_reconciliation_daily")

SPECS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "deployments_change_counted_once",
        FACT_DEPLOYMENTS,
        "Each change appears at most once (and never without a change_id).",
        "ERROR",
        deployments.change_counted_once,
    ),
    CheckSpec(
        "deployments_reconcile_with_raw",
        FACT_DEPLOYMENTS,
        "normalized ≤ delivered ≤ distinct changes with a succeeded, non-rollback production "
        "deployment in raw.deploy_records; every delivered change has one.",
        "ERROR",
        deployments.reconcile_with_raw,
    ),
    CheckSpec(
        "deployment_ids_counted_once",
        FACT_DEPLOYMENTS,
        "The deduplicated deployments keep every extracted deployment_id exactly once "
        "(relation: AIW_DQ_DEDUPLICATED_DEPLOYMENTS_RELATION).",
        "ERROR",
        dedupe.deployment_ids_counted_once,
    ),
    CheckSpec(
        "deployments_unattributed_share",
        FACT_DEPLOYMENTS,
        "Share of normalized deployments without an employee, over all history and the trailing "
        "window, stays under AIW_DQ_MAX_UNATTRIBUTED_DEPLOYMENT_SHARE.",
        "ERROR",
        attribution.unattributed_deployments,
    ),
    CheckSpec(
        "deploys_fresh",
        FACT_DEPLOYMENTS,
        "The newest deploy partition is at most AIW_DQ_FRESHNESS_MAX_LAG_DAYS behind the reference.",
        "ERROR",
        freshness.deploys_fresh,
    ),
    CheckSpec(
        "request_ids_counted_once",
        FACT_USAGE,
        "Requests per day in the mart equal the distinct request ids extracted for that day.",
        "ERROR",
        dedupe.request_ids_counted_once,
    ),
    CheckSpec(
        "tokens_unattributed_share",
        FACT_USAGE,
        "Share of tokens without an employee, over all history and the trailing window, stays "
        "under AIW_DQ_MAX_UNATTRIBUTED_TOKEN_SHARE.",
        "ERROR",
        attribution.unattributed_tokens,
    ),
    CheckSpec(
        "emails_belong_to_one_employee",
        FACT_USAGE,
        "No roster email is given to two or more employee_ids in any snapshots (such an email "
        "attributes to nobody; the check names the employee ids, never the email).",
        "ERROR",
        attribution.emails_belong_to_one_employee,
    ),
    CheckSpec(
        "usage_fresh",
        FACT_USAGE,
        "The newest usage partition is at most AIW_DQ_FRESHNESS_MAX_LAG_DAYS behind the reference.",
        "ERROR",
        freshness.usage_fresh,
    ),
    CheckSpec(
        "weekly_deployments_match_fact",
        WEEKLY,
        "Per week, team normalized deployments add up to the team-attributed normalized "
        "deployments of fct_normalized_deployments.",
        "ERROR",
        deployments.weekly_matches_fact,
    ),
    CheckSpec(
        "teams_with_deployments_have_developers",
        WEEKLY,
        "Team-weeks with normalized deployments have developers > 0 (at most "
        "AIW_DQ_MAX_TEAM_WEEKS_WITHOUT_DEVELOPERS_SHARE of them may not).",
        "ERROR",
        denominators.teams_with_deployments_have_developers,
    ),
    CheckSpec(
        "adoption_rate_in_range",
        WEEKLY,
        "adoption_rate within [0, 1] and AI-active developers ≤ developers.",
        "ERROR",
        denominators.adoption_rate_in_range,
    ),
    CheckSpec(
        "deployments_per_developer_plausible",
        WEEKLY,
        "normalized_deployments_per_developer within [0, AIW_DQ_MAX_DEPLOYMENTS_PER_DEVELOPER_WEEK] "
        "and equal to normalized_deployments / developers.",
        "ERROR",
        denominators.deployments_per_developer_plausible,
    ),
    CheckSpec(
        "deployments_per_developer_week_over_week",
        WEEKLY,
        "Org-wide normalized deployments per developer moves at most AIW_DQ_WOW_MAX_RELATIVE_CHANGE "
        "between consecutive complete weeks (anomaly flag; WARN unless overridden).",
        "WARN",
        denominators.deployments_per_developer_week_over_week,
    ),
    CheckSpec(
        "usage_partitions_have_rows",
        ("raw", "usage_requests"),
        "Every usage partition with delivered files has rows in raw.usage_requests.",
        "WARN",
        sources.usage_partitions_have_rows,
    ),
    CheckSpec(
        "deploy_partitions_have_rows",
        ("raw", "deploy_records"),
        "Every deploy partition with delivered files has rows in raw.deploy_records.",
        "WARN",
        sources.deploy_partitions_have_rows,
    ),
    CheckSpec(
        "cost_reconciliation_months_within_tolerance",
        RECONCILIATION,
        "Every complete, fully priced month of the provider's cost report is within "
        "aiw_reconciliation_tolerance of the estimate (cost_reconciliation_monthly.blocks_publish).",
        "ERROR",
        reconciliation.complete_months_within_tolerance,
    ),
    CheckSpec(
        "cost_reconciliation_days_within_tolerance",
        RECONCILIATION,
        "Each invoiced day × model is within aiw_reconciliation_tolerance of the estimate.",
        "WARN",
        reconciliation.days_within_tolerance,
    ),
    CheckSpec(
        "landing_files_balanced",
        ("raw", "landing_files"),
        "Per file, lines read = rows loaded + rows quarantined, and both counts match the rows "
        "present in the raw tables and the quarantine; no raw rows without a file record.",
        "ERROR",
        sources.landing_files_balanced,
    ),
)

CHECK_NAMES: tuple[str, ...] = tuple(spec.name for spec in SPECS)
SPECS_BY_NAME: dict[str, CheckSpec] = {spec.name: spec for spec in SPECS}


def scope_from_tags(tags: Mapping[str, str]) -> Scope:
    """The run's delivery partitions, from the tags Dagster puts on a ranged
    backfill (`aiw run`) or a single-partition run (schedule, sensor)."""
    bounds = days_from_tags(tags)
    return Scope(*bounds) if bounds else Scope()


def evaluate(spec: CheckSpec, con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    # A check that cannot run (a missing mart, a broken query) must fail with
    # its reason and leave an audit row, not vanish as a step error.
    try:
        return spec.evaluate(con, config, scope)
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Outcome(
            passed=False,
            observed=None,
            threshold=None,
            summary=f"could not evaluate: {type(exc).__name__}: {reason}",
            figures={"error": traceback.format_exc(limit=5)},
        )


def run_checks(
    con: Connection,
    config: DQConfig | None = None,
    scope: Scope | None = None,
    names: Iterable[str] | None = None,
) -> dict[str, Outcome]:
    """Evaluate checks on an open connection without Dagster (tools, tests)."""
    config = config or DQConfig.from_env()
    chosen = CHECK_NAMES if names is None else tuple(names)
    return {name: evaluate(SPECS_BY_NAME[name], con, config, scope or Scope()) for name in chosen}


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
    except DagsterInvalidPropertyError:
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


__all__ = [
    "CHECK_NAMES",
    "SPECS",
    "DQConfig",
    "Outcome",
    "Scope",
    "Verdict",
    "build_asset_checks",
    "failed_checks_summary",
    "run_checks",
    "scope_from_tags",
]
