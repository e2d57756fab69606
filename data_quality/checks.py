"""Every quality check of the warehouse, defined once: its name, the asset it
guards, its default severity and the function that judges it.

Each check aggregates in DuckDB and judges the small result with a Great
Expectations suite (data_quality.expectations). This package knows nothing of
Dagster: orchestration.assets.quality_checks wires these checks into asset
checks, and tools and tests run them with `run_checks`.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable

from data_quality import (
    attribution,
    counted_once,
    denominators,
    deployments,
    freshness,
    landing_accounting,
    reconciliation,
)
from data_quality.config import DQConfig
from data_quality.core import CheckSpec, Connection, Outcome, Scope

FACT_DEPLOYMENTS = ("marts", "fct_normalized_deployments")
FACT_USAGE = ("marts", "fct_token_usage_daily")
WEEKLY = ("marts", "team_weekly_metrics")
RECONCILIATION = ("marts", "cost_reconciliation_daily")

SPECS: tuple[CheckSpec, ...] = (
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
        counted_once.deployment_ids_counted_once,
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
        counted_once.request_ids_counted_once,
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
        "deployments_per_developer_plausible",
        WEEKLY,
        "normalized_deployments_per_developer of each team without its busiest author is at most "
        "AIW_DQ_MAX_DEPLOYMENTS_PER_DEVELOPER_WEEK (teams of 2+ developers).",
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
        landing_accounting.usage_partitions_have_rows,
    ),
    CheckSpec(
        "deploy_partitions_have_rows",
        ("raw", "deploy_records"),
        "Every deploy partition with delivered files has rows in raw.deploy_records.",
        "WARN",
        landing_accounting.deploy_partitions_have_rows,
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
        landing_accounting.landing_files_balanced,
    ),
)

CHECK_NAMES: tuple[str, ...] = tuple(spec.name for spec in SPECS)
SPECS_BY_NAME: dict[str, CheckSpec] = {spec.name: spec for spec in SPECS}


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


__all__ = ["CHECK_NAMES", "SPECS", "SPECS_BY_NAME", "DQConfig", "Outcome", "Scope", "run_checks"]
