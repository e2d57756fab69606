"""Every threshold of the quality checks, in one place.

Defaults suit the sample organisation and the conformance case; production
deployments tune them through environment variables, read once when the
Dagster definitions are built (so a change needs a code-location reload).

| field | environment variable | default |
|---|---|---|
| max_unattributed_token_share | AIW_DQ_MAX_UNATTRIBUTED_TOKEN_SHARE, else AIW_DQ_MAX_UNATTRIBUTED_SHARE | 0.15 |
| max_unattributed_deployment_share | AIW_DQ_MAX_UNATTRIBUTED_DEPLOYMENT_SHARE, else AIW_DQ_MAX_UNATTRIBUTED_SHARE | 0.15 |
| attribution_window_days | AIW_DQ_ATTRIBUTION_WINDOW_DAYS | 7 |
| attribution_min_window_deployments | AIW_DQ_ATTRIBUTION_MIN_WINDOW_DEPLOYMENTS | 20 |
| max_team_weeks_without_developers_share | AIW_DQ_MAX_TEAM_WEEKS_WITHOUT_DEVELOPERS_SHARE | 0.02 |
| max_deployments_per_developer_week | AIW_DQ_MAX_DEPLOYMENTS_PER_DEVELOPER_WEEK | 15 |
| wow_max_relative_change | AIW_DQ_WOW_MAX_RELATIVE_CHANGE | 0.5 |
| wow_weeks | AIW_DQ_WOW_WEEKS | 4 |
| wow_min_weekly_deployments | AIW_DQ_WOW_MIN_WEEKLY_DEPLOYMENTS | 20 |
| wow_min_team_developers | AIW_DQ_WOW_MIN_TEAM_DEVELOPERS | 5 |
| freshness_max_lag_days | AIW_DQ_FRESHNESS_MAX_LAG_DAYS | 3 |
| freshness_reference | AIW_DQ_FRESHNESS_REFERENCE_DATE (YYYY-MM-DD or `today`) | unset |
| deduplicated_deployments_relation | AIW_DQ_DEDUPLICATED_DEPLOYMENTS_RELATION | intermediate.int_deployments__deduplicated |
| lock_wait_seconds | AIW_DQ_LOCK_WAIT_SECONDS | 120 |
| severity_overrides | AIW_DQ_SEVERITY, e.g. `deployments_per_developer_week_over_week=ERROR,usage_partitions_have_rows=ERROR` | none |

Severity ERROR makes a check blocking (a failure stops the publish); WARN
reports the failure and lets the run publish.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

SEVERITIES = ("ERROR", "WARN")
DEFAULT_UNATTRIBUTED_SHARE = 0.15
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass(frozen=True)
class DQConfig:
    # Bots and unknown emails are legitimately unattributed (3 % of changes in
    # the sample organisation, 1 in 10 in the conformance case); a roster or
    # email-matching fault pushes the share far beyond 15 %.
    max_unattributed_token_share: float = DEFAULT_UNATTRIBUTED_SHARE
    max_unattributed_deployment_share: float = DEFAULT_UNATTRIBUTED_SHARE
    # A burst in the newest days is diluted by months of history, so the share
    # is also judged over this trailing window ...
    attribution_window_days: int = 7
    # ... but only once the window holds enough changes for a share to mean anything.
    attribution_min_window_deployments: int = 20
    # metrics.md allows a team without developers (per-developer figure null),
    # e.g. a team of managers and data scientists; many of them means the
    # developer denominator is broken.
    max_team_weeks_without_developers_share: float = 0.02
    # About 0.3 changes per developer-workday is typical; 3 a day for a whole
    # team all week is not plausible (judged without the team's busiest author:
    # one person's burst is a gaming finding, not a fault).
    max_deployments_per_developer_week: float = 15.0
    wow_max_relative_change: float = 0.5
    wow_weeks: int = 4
    # Below this many normalized deployments org-wide in a week, a 50 % swing is noise.
    wow_min_weekly_deployments: int = 20
    wow_min_team_developers: int = 5
    # Deploy exports can skip a weekend, so Friday's partition must still pass on Monday.
    freshness_max_lag_days: int = 3
    # None: judge each source against the newest partition of any source, which
    # works on historic data; a date or "today" judges against the calendar.
    freshness_reference: str | None = None
    deduplicated_deployments_relation: str = "intermediate.int_deployments__deduplicated"
    # dbt holds the single DuckDB writer lock while it builds; a check started
    # beside it by a multi-process executor waits instead of failing.
    lock_wait_seconds: float = 120.0
    severity_overrides: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shares = (
            "max_unattributed_token_share",
            "max_unattributed_deployment_share",
            "max_team_weeks_without_developers_share",
        )
        for name in shares:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {getattr(self, name)}")
        for name in ("attribution_window_days", "wow_weeks"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in (
            "attribution_min_window_deployments",
            "max_deployments_per_developer_week",
            "wow_max_relative_change",
            "wow_min_weekly_deployments",
            "wow_min_team_developers",
            "freshness_max_lag_days",
            "lock_wait_seconds",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.freshness_reference not in (None, "today"):
            try:
                dt.date.fromisoformat(self.freshness_reference)
            except ValueError:
                raise ValueError(
                    f"freshness_reference must be YYYY-MM-DD or 'today', got {self.freshness_reference!r}"
                ) from None
        # The relation is spliced into SQL, so only plain identifiers pass.
        if not _IDENTIFIER.match(self.deduplicated_deployments_relation):
            raise ValueError(
                f"deduplicated_deployments_relation must be [schema.]table, "
                f"got {self.deduplicated_deployments_relation!r}"
            )
        for name, level in self.severity_overrides.items():
            if level not in SEVERITIES:
                raise ValueError(f"severity of {name} must be one of {SEVERITIES}, got {level!r}")

    def severity(self, check_name: str, default: str) -> str:
        return self.severity_overrides.get(check_name, default)

    def reference_date(self) -> dt.date | None:
        if self.freshness_reference is None:
            return None
        if self.freshness_reference == "today":
            return dt.datetime.now(dt.UTC).date()
        return dt.date.fromisoformat(self.freshness_reference)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DQConfig:
        env = os.environ if environ is None else environ
        values: dict = {}
        shared_share = env.get("AIW_DQ_MAX_UNATTRIBUTED_SHARE")
        for name, kind in _ENV_FIELDS.items():
            raw = env.get(f"AIW_DQ_{name.upper()}")
            if raw is None and name.startswith("max_unattributed_"):
                raw = shared_share
            if raw is not None and raw.strip() != "":
                values[name] = _parse(name, raw.strip(), kind)
        reference = env.get("AIW_DQ_FRESHNESS_REFERENCE_DATE", "").strip()
        if reference:
            values["freshness_reference"] = reference
        values["severity_overrides"] = _parse_severities(env.get("AIW_DQ_SEVERITY", ""))
        return cls(**values)


_ENV_FIELDS = {
    "max_unattributed_token_share": float,
    "max_unattributed_deployment_share": float,
    "attribution_window_days": int,
    "attribution_min_window_deployments": int,
    "max_team_weeks_without_developers_share": float,
    "max_deployments_per_developer_week": float,
    "wow_max_relative_change": float,
    "wow_weeks": int,
    "wow_min_weekly_deployments": int,
    "wow_min_team_developers": int,
    "freshness_max_lag_days": int,
    "deduplicated_deployments_relation": str,
    "lock_wait_seconds": float,
}


def _parse(name: str, raw: str, kind: type):
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"AIW_DQ_{name.upper()}={raw!r} is not a valid {kind.__name__}") from None


def _parse_severities(raw: str) -> dict[str, str]:
    overrides = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, level = item.partition("=")
        if not sep:
            raise ValueError(f"AIW_DQ_SEVERITY entry {item!r} is not check_name=ERROR|WARN")
        overrides[name.strip()] = level.strip().upper()
    return overrides
