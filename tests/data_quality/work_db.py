"""A small synthetic WORK database: raw tables as extraction writes them, the
deduplicated deployments dbt keeps, and the marts the checks guard.

The marts are derived from the raw rows here (a miniature of the dbt models),
so a clean build is consistent by construction and each Scenario knob plants
one fault the way it would reach the warehouse. Deduplication, which the
checks hold the marts against, is not re-stated: it runs dbt's own models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from orchestration.extract.store import ensure_raw_schema
from orchestration.settings import work_path_for
from tests.dbt_sql import render_model

START = dt.date(2026, 3, 2)  # a Monday
DAYS = 24  # through Wednesday 2026-03-25: three complete weeks and a partial one

# employee_id, email, job_family, team_id
EMPLOYEES = (
    ("e1", "e1@example.com", "software_engineer", "ta"),
    ("e2", "e2@example.com", "software_engineer", "ta"),
    ("e3", "e3@example.com", "software_engineer", "ta"),
    ("e4", "e4@example.com", "software_engineer", "tb"),
    ("e5", "e5@example.com", "software_engineer", "tb"),
    ("e6", "pm6@example.com", "product_manager", "tb"),
)
TEAMS = {"ta": ("Team A", "Org One"), "tb": ("Team B", "Org One")}
STRANGER = "stranger@example.com"
BOT = "release-bot@ci.example"
ROSTER_FILE = "roster/roster_2026-03-02.csv"


@dataclass(frozen=True)
class Scenario:
    """A clean dataset by default; each knob plants one fault."""

    days: int = DAYS
    deploys_missing_last_days: int = 0  # the CD export stopped this many days before usage
    unattributed_burst_days: int = 0  # the newest days' usage comes from unknown emails
    dedupe_requests: bool = True  # False: the usage mart counts every raw copy
    truncated_usage_day: int | None = None  # that day's only usage file is a truncated gzip
    extra_changes: tuple[int, int] = (0, 0)  # (week index, n) extra changes by e1

    @property
    def days_list(self) -> list[dt.date]:
        return [START + dt.timedelta(days=i) for i in range(self.days)]


@dataclass
class Raw:
    usage: list[dict] = field(default_factory=list)
    deploys: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    files: dict[tuple[str, str], dict] = field(default_factory=dict)
    changes: list[dict] = field(default_factory=list)

    def file(self, source: str, day: dt.date | None, path: str, table: str) -> dict:
        key = (source, path)
        if key not in self.files:
            self.files[key] = {
                "source": source,
                "dt": day,
                "source_file": path,
                "content_sha256": f"sha-{path}",
                "lines_read": 0,
                "rows_loaded": 0,
                "rows_quarantined": 0,
                "file_status": "loaded",
                "table_name": table,
            }
        return self.files[key]

    def load(self, rows: list[dict], row: dict, source: str, day, path: str, table: str) -> None:
        accounting = self.file(source, day, path, table)
        accounting["lines_read"] += 1
        accounting["rows_loaded"] += 1
        rows.append(
            {**row, "dt": day, "source_file": path, "line_number": accounting["lines_read"]}
        )

    def reject(self, source: str, day, path: str, table: str, reason: str) -> None:
        accounting = self.file(source, day, path, table)
        accounting["lines_read"] += 1
        accounting["rows_quarantined"] += 1
        self.quarantine.append(
            {
                "source": source,
                "dt": day,
                "source_file": path,
                "line_number": accounting["lines_read"],
                "reason": reason,
                "detail": "planted",
                "raw_text": "{not json",
            }
        )


def _request(request_id: str, at: dt.datetime, email: str, tokens: int, status="success") -> dict:
    return {
        "request_id": request_id,
        "requested_at": at,
        "user_email": email,
        "client": "ide_assistant",
        "agent_id": None,
        "session_id": None,
        "model": "claude-sonnet-4-5",
        "service_tier": "standard",
        "status": status,
        "input_tokens": tokens,
        "output_tokens": tokens // 5,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": tokens * 3,
        "latency_ms": 400,
    }


def _usage(raw: Raw, scenario: Scenario) -> None:
    days = scenario.days_list
    burst_from = len(days) - scenario.unattributed_burst_days
    for index, day in enumerate(days):
        path = f"usage/dt={day}/gw-0.jsonl.gz"
        if index == scenario.truncated_usage_day:
            _truncated(raw, day, path)
            continue
        if day.weekday() >= 5:
            continue
        for employee_id, email, _, _ in EMPLOYEES:
            if index >= burst_from:
                email = f"{employee_id}@acquired.example"  # the roster never heard of it
            for k in range(2):
                at = dt.datetime.combine(day, dt.time(9 + k))
                request = _request(f"r-{day}-{employee_id}-{k}", at, email, 1000)
                late = index == 3 and employee_id == "e1" and k == 1
                target_day = day + dt.timedelta(days=1) if late else day
                target = f"usage/dt={target_day}/gw-late.jsonl.gz" if late else path
                raw.load(raw.usage, request, "usage", target_day, target, "usage_requests")
        stranger = _request(
            f"r-{day}-stranger", dt.datetime.combine(day, dt.time(12)), STRANGER, 50
        )
        raw.load(raw.usage, stranger, "usage", day, path, "usage_requests")
        if index == 2:
            raw.reject("usage", day, path, "usage_requests", "invalid_json")
    # an identical copy of a request delivered again the next day: it counts once
    _redeliver(raw, f"r-{days[4]}-e2-0", days[5], "gw-0", shift=dt.timedelta(0))
    # a corrected copy moves a request to the next day: it counts once, on the
    # day of the copy in the last file in path order
    _redeliver(raw, f"r-{days[8]}-e3-0", days[9], "gw-fix", shift=dt.timedelta(days=1))


def _redeliver(raw: Raw, request_id: str, day: dt.date, name: str, shift: dt.timedelta) -> None:
    original = next(r for r in raw.usage if r["request_id"] == request_id)
    copy = {k: v for k, v in original.items() if k not in ("dt", "source_file", "line_number")}
    copy["requested_at"] += shift
    raw.load(raw.usage, copy, "usage", day, f"usage/dt={day}/{name}.jsonl.gz", "usage_requests")


def _truncated(raw: Raw, day: dt.date, path: str) -> None:
    accounting = raw.file("usage", day, path, "usage_requests")
    accounting["file_status"] = "quarantined"
    raw.quarantine.append(
        {
            "source": "usage",
            "dt": day,
            "source_file": path,
            "line_number": None,
            "reason": "truncated_gzip",
            "detail": "planted",
            "raw_text": None,
        }
    )


def _change_plan(scenario: Scenario) -> list[tuple[dt.date, str]]:
    days = scenario.days_list
    last_deploy_day = days[-1] - dt.timedelta(days=scenario.deploys_missing_last_days)
    plan = []
    for day in days:
        if day.weekday() >= 5 or day > last_deploy_day:
            continue
        plan += [(day, "e1@example.com"), (day, "e4@example.com")]
        if day.weekday() == 0:
            plan.append((day, "e2@example.com"))
        if day == days[7]:
            plan.append((day, BOT))
    week, extra = scenario.extra_changes
    monday = START + dt.timedelta(weeks=week)
    plan += [(monday + dt.timedelta(days=i % 5), "E1@Example.com") for i in range(extra)]
    return sorted(plan)


def _deploy(
    change_id: str,
    suffix: str,
    email: str,
    finished: dt.datetime,
    *,
    env: str = "production",
    region: str = "us-east-1",
    attempt: int = 1,
    status: str = "succeeded",
    rollback_of: str | None = None,
) -> dict:
    return {
        "deployment_id": f"{change_id}-{suffix}",
        "change_id": change_id,
        "commit_sha": f"sha{change_id}",
        "service": "svc",
        "environment": env,
        "region": region,
        "attempt": attempt,
        "author_email": email,
        "started_at": finished - dt.timedelta(minutes=5),
        "finished_at": finished,
        "status": status,
        "rollback_of": rollback_of,
        "lines_added": 10,
        "lines_deleted": 2,
        "ai_assisted": True,
    }


def _change_rows(n: int, change_id: str, email: str, delivered: dt.datetime) -> list[dict]:
    """Staging, two production regions, and the traps: a capitalised
    environment, a failed attempt retried, a rollback within 7 days."""
    minutes = dt.timedelta(minutes=1)
    rows = [
        _deploy(change_id, "s", email, delivered - 60 * minutes, env="staging"),
        _deploy(change_id, "p1", email, delivered, env="Production" if n == 0 else "production"),
        _deploy(change_id, "p2", email, delivered + 10 * minutes, region="eu-west-1"),
    ]
    if n == 3:
        rows[1]["attempt"] = 2
        rows.append(_deploy(change_id, "p0", email, delivered - 30 * minutes, status="failed"))
    if n == 5:
        rows.append(
            _deploy(
                change_id, "rb", email, delivered + 1440 * minutes, rollback_of=f"{change_id}-p1"
            )
        )
    return rows


def _delivered_change(change_id: str, email: str, delivered: dt.datetime, rolled_back: bool):
    employee = {e[1]: e for e in EMPLOYEES}.get(email.lower())
    return {
        "change_id": change_id,
        "employee_id": employee[0] if employee else None,
        "team_id": employee[3] if employee else None,
        "service": "svc",
        "delivered_at": delivered,
        "delivered_date": delivered.date(),
        "production_regions": 2,
        "is_ai_assisted": True,
        "is_rolled_back": rolled_back,
        "rolled_back_at": delivered + dt.timedelta(days=1) if rolled_back else None,
        "is_normalized": not rolled_back,
        "lines_added": 10,
        "lines_deleted": 2,
    }


def _deploys(raw: Raw, scenario: Scenario) -> None:
    for n, (day, email) in enumerate(_change_plan(scenario)):
        change_id = f"C{n:03d}"
        delivered = dt.datetime.combine(day, dt.time(14)) + dt.timedelta(minutes=n)
        rows = _change_rows(n, change_id, email, delivered)
        for row in rows:
            finished = row["finished_at"].date()
            path = f"deploys/dt={finished}/cd-export.csv"
            raw.load(raw.deploys, row, "deploys", finished, path, "deploy_records")
        if n == 8:  # an overlapping export repeats a deployment the next day
            copy_day = day + dt.timedelta(days=1)
            path = f"deploys/dt={copy_day}/cd-export-2.csv"
            raw.load(raw.deploys, rows[1], "deploys", copy_day, path, "deploy_records")
        if n == 2:
            path = f"deploys/dt={day}/cd-export.csv"
            raw.reject("deploys", day, path, "deploy_records", "wrong_field_count")
        raw.changes.append(_delivered_change(change_id, email, delivered, rolled_back=n == 5))


def _roster(raw: Raw) -> list[dict]:
    rows = []
    for employee_id, email, family, team in EMPLOYEES:
        row = {
            "snapshot_date": START,
            "employee_id": employee_id,
            "work_email": email,
            "full_name": employee_id.upper(),
            "job_family": family,
            "job_level": "L4",
            "team_id": team,
            "team_name": TEAMS[team][0],
            "org_name": TEAMS[team][1],
            "manager_id": None,
            "location": "Dublin",
            "employment_status": "active",
            "hire_date": dt.date(2024, 1, 1),
            "termination_date": None,
            "annual_salary_usd": 100000.0,
        }
        raw.load(rows, row, "roster", None, ROSTER_FILE, "roster_snapshots")
    for row in rows:
        del row["dt"]
    return rows


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    con.register("_rows", pl.DataFrame(rows, infer_schema_length=None))
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
    finally:
        con.unregister("_rows")


def build_raw(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> Raw:
    ensure_raw_schema(con)
    raw = Raw()
    _usage(raw, scenario)
    _deploys(raw, scenario)
    roster = _roster(raw)
    _insert(con, "raw.usage_requests", raw.usage)
    _insert(con, "raw.deploy_records", raw.deploys)
    _insert(con, "raw.roster_snapshots", roster)
    _insert(con, "raw.quarantined_records", raw.quarantine)
    _insert(con, "raw.landing_files", list(raw.files.values()))
    return raw


MART_DDL = {
    "marts.fct_token_usage_daily": """usage_date DATE, employee_id VARCHAR, team_id VARCHAR,
        model VARCHAR, client VARCHAR, requests BIGINT, error_requests BIGINT, input_tokens BIGINT,
        output_tokens BIGINT, cache_write_tokens BIGINT, cache_read_tokens BIGINT,
        total_tokens BIGINT, list_cost_usd DOUBLE, is_unpriced BOOLEAN""",
    "marts.fct_normalized_deployments": """change_id VARCHAR, employee_id VARCHAR, team_id VARCHAR,
        service VARCHAR, delivered_at TIMESTAMP, delivered_date DATE, production_regions BIGINT,
        is_ai_assisted BOOLEAN, is_rolled_back BOOLEAN, rolled_back_at TIMESTAMP,
        is_normalized BOOLEAN, lines_added BIGINT, lines_deleted BIGINT""",
    "marts.fct_ai_cost_daily": """cost_date DATE, employee_id VARCHAR, team_id VARCHAR,
        pricing_model VARCHAR, per_token_cost_usd DOUBLE, flat_rate_cost_usd DOUBLE,
        billed_cost_usd DOUBLE, has_unpriced_usage BOOLEAN""",
    "marts.team_weekly_metrics": """week_start DATE, team_id VARCHAR, team_name VARCHAR,
        org_name VARCHAR, developers BIGINT, ai_active_developers BIGINT, adoption_rate DOUBLE,
        total_tokens BIGINT, normalized_deployments BIGINT,
        ai_assisted_normalized_deployments BIGINT, normalized_deployments_per_developer DOUBLE,
        billed_cost_usd DOUBLE, cost_per_normalized_deployment DOUBLE, is_provisional BOOLEAN""",
    "restricted.developer_signals_daily": """signal_date DATE, employee_id VARCHAR,
        org_name VARCHAR, tokens_28d BIGINT, normalized_deployments_28d BIGINT,
        peer_median_tokens_28d DOUBLE, peer_median_normalized_deployments_28d DOUBLE,
        is_tokenmaxxing_suspect BOOLEAN""",
}

# Stand-ins for the staging views (renames and casts only) that the dbt
# models below read; the models themselves run dbt's own SQL (dedupe_models).
STAGING = {
    "stg_landing__files": "raw.landing_files",
    # the canonical requests (dbt's union of every request source), here of
    # the gateway alone, keeping the raw names the stand-in marts read
    "int_usage__requests": """
        SELECT 'gateway' AS source, *, CAST(requested_at AS DATE) AS usage_date,
               CAST(0 AS BIGINT) AS record_index
        FROM raw.usage_requests""",
    "stg_cd__deployments": """
        SELECT deployment_id, change_id, commit_sha, service, environment, region, attempt,
               lower(trim(author_email)) AS author_email_normalized, started_at, finished_at,
               status, nullif(trim(rollback_of), '') AS rollback_of, lines_added, lines_deleted,
               ai_assisted AS is_ai_assisted, dt AS landing_date, source_file, line_number
        FROM raw.deploy_records""",
}
# dbt's dedupe models, in dependency order, as (relation, materialization)
DEDUPE_MODELS = (
    ("intermediate.int_landing__redelivered_files", "TABLE"),
    # the winners view request_ids_counted_once reads; it stays right when a
    # scenario breaks the mart
    ("intermediate.int_usage__winning_copies", "VIEW"),
    ("intermediate.int_deployments__deduplicated", "TABLE"),
)


def build_dedupe_models(con: duckdb.DuckDBPyConnection) -> None:
    """dbt's deduplication models over the raw tables, from dbt's own SQL."""
    refs = {}
    for name, sql in STAGING.items():
        if name.startswith("stg_landing"):
            refs[name] = sql
            continue
        con.execute(f"CREATE OR REPLACE VIEW staging.{name} AS {sql}")
        refs[name] = f"staging.{name}"
    for relation, kind in DEDUPE_MODELS:
        name = relation.split(".")[1]
        con.execute(f"CREATE OR REPLACE {kind} {relation} AS {render_model(name, refs)}")
        refs[name] = relation


TOKEN_USAGE = """
INSERT INTO marts.fct_token_usage_daily
WITH requests AS ({requests}),
people AS (SELECT DISTINCT employee_id, lower(work_email) AS email, team_id FROM raw.roster_snapshots)
SELECT CAST(requested_at AS DATE), people.employee_id, people.team_id, model, client,
       count(*), count(*) FILTER (WHERE status = 'error'),
       sum(input_tokens), sum(output_tokens), sum(cache_creation_input_tokens),
       sum(cache_read_input_tokens),
       sum(input_tokens + output_tokens + cache_creation_input_tokens + cache_read_input_tokens),
       sum(input_tokens + output_tokens) * 3e-6, false
FROM requests LEFT JOIN people ON lower(trim(requests.user_email)) = people.email
GROUP BY ALL
"""
DEDUPED_REQUESTS = "SELECT * FROM intermediate.int_usage__winning_copies"

AI_COST = """
INSERT INTO marts.fct_ai_cost_daily
SELECT CAST(day AS DATE), employee_id, team_id, 'flat_rate', 0, 1.0, 1.0, false
FROM range(DATE '{start}', (SELECT max(usage_date) FROM marts.fct_token_usage_daily) + 1,
           INTERVAL 1 DAY) AS days(day)
CROSS JOIN (SELECT DISTINCT employee_id, team_id FROM raw.roster_snapshots)
"""

TEAM_WEEKLY = """
CREATE OR REPLACE TABLE marts.team_weekly_metrics AS
WITH covered AS (SELECT max(cost_date) AS last_day FROM marts.fct_ai_cost_daily),
weeks AS (SELECT DISTINCT CAST(date_trunc('week', cost_date) AS DATE) AS week_start
          FROM marts.fct_ai_cost_daily),
teams AS (
    SELECT team_id, any_value(team_name) AS team_name, any_value(org_name) AS org_name,
           count(*) FILTER (WHERE job_family = 'software_engineer') AS developers
    FROM raw.roster_snapshots GROUP BY team_id
),
active AS (
    SELECT CAST(date_trunc('week', usage_date) AS DATE) AS week_start, usage.team_id,
           count(DISTINCT usage.employee_id) AS ai_active_developers,
           sum(total_tokens) AS total_tokens
    FROM marts.fct_token_usage_daily AS usage
    JOIN raw.roster_snapshots AS roster ON usage.employee_id = roster.employee_id
    WHERE roster.job_family = 'software_engineer' AND requests > error_requests
    GROUP BY ALL
),
tokens AS (
    SELECT CAST(date_trunc('week', usage_date) AS DATE) AS week_start, team_id,
           sum(total_tokens) AS total_tokens
    FROM marts.fct_token_usage_daily WHERE team_id IS NOT NULL GROUP BY ALL
),
deployments AS (
    SELECT CAST(date_trunc('week', delivered_date) AS DATE) AS week_start, team_id,
           count(*) FILTER (WHERE is_normalized) AS normalized,
           count(*) FILTER (WHERE is_normalized AND is_ai_assisted) AS ai_assisted
    FROM marts.fct_normalized_deployments WHERE team_id IS NOT NULL GROUP BY ALL
),
cost AS (
    SELECT CAST(date_trunc('week', cost_date) AS DATE) AS week_start, team_id,
           sum(billed_cost_usd) AS billed
    FROM marts.fct_ai_cost_daily GROUP BY ALL
)
SELECT weeks.week_start, teams.team_id, teams.team_name, teams.org_name, teams.developers,
       coalesce(active.ai_active_developers, 0) AS ai_active_developers,
       coalesce(active.ai_active_developers, 0) / nullif(teams.developers, 0) AS adoption_rate,
       coalesce(tokens.total_tokens, 0) AS total_tokens,
       coalesce(deployments.normalized, 0) AS normalized_deployments,
       coalesce(deployments.ai_assisted, 0) AS ai_assisted_normalized_deployments,
       coalesce(deployments.normalized, 0) / nullif(teams.developers, 0)
           AS normalized_deployments_per_developer,
       coalesce(cost.billed, 0) AS billed_cost_usd,
       coalesce(cost.billed, 0) / nullif(deployments.normalized, 0) AS cost_per_normalized_deployment,
       covered.last_day < weeks.week_start + 13 AS is_provisional
FROM weeks CROSS JOIN teams CROSS JOIN covered
LEFT JOIN active USING (week_start, team_id)
LEFT JOIN tokens USING (week_start, team_id)
LEFT JOIN deployments USING (week_start, team_id)
LEFT JOIN cost USING (week_start, team_id)
ORDER BY 1, 2
"""


EMAIL_IDENTITIES = """
CREATE OR REPLACE TABLE intermediate.int_employees__email_identities AS
SELECT lower(trim(work_email)) AS email_normalized,
       CASE WHEN count(DISTINCT employee_id) = 1 THEN min(employee_id) END AS employee_id,
       count(DISTINCT employee_id) > 1 AS is_ambiguous,
       string_agg(DISTINCT employee_id, ', ' ORDER BY employee_id) AS claimant_employee_ids,
       min(snapshot_date) AS first_snapshot_date, max(snapshot_date) AS last_snapshot_date
FROM raw.roster_snapshots GROUP BY 1
"""


def build_marts(con: duckdb.DuckDBPyConnection, raw: Raw, scenario: Scenario) -> None:
    for schema in ("staging", "intermediate", "marts", "restricted"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for table, columns in MART_DDL.items():
        con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")
    build_dedupe_models(con)
    con.execute(EMAIL_IDENTITIES)
    requests = DEDUPED_REQUESTS if scenario.dedupe_requests else "SELECT * FROM raw.usage_requests"
    con.execute(TOKEN_USAGE.format(requests=requests))
    _insert(con, "marts.fct_normalized_deployments", raw.changes)
    con.execute(AI_COST.format(start=START.isoformat()))
    rebuild_weekly(con)


def rebuild_weekly(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild team_weekly_metrics from the facts, as dbt would after a fact changed."""
    con.execute(TEAM_WEEKLY)


def build_work_db(serving_path: Path, scenario: Scenario | None = None) -> Path:
    """Write the WORK database beside `serving_path`; returns its path."""
    scenario = scenario or Scenario()
    work = work_path_for(serving_path)
    work.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(work))
    try:
        raw = build_raw(con, scenario)
        build_marts(con, raw, scenario)
    finally:
        con.close()
    return work
