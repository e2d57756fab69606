"""Hand-made landing zones for tests: small files in the contract's format."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

DEPLOY_HEADER = (
    "deployment_id,change_id,commit_sha,service,environment,region,attempt,author_email,"
    "started_at,finished_at,status,rollback_of,lines_added,lines_deleted,ai_assisted"
)
ROSTER_HEADER = (
    "employee_id,work_email,full_name,job_family,job_level,team_id,team_name,org_name,"
    "manager_id,location,employment_status,hire_date,termination_date,annual_salary_usd"
)


def usage_record(request_id: str, timestamp: str = "2026-04-07T10:00:00Z", **overrides) -> dict:
    record = {
        "request_id": request_id,
        "timestamp": timestamp,
        "user_email": "ada@example.com",
        "client": "ide_assistant",
        "agent_id": None,
        "session_id": None,
        "model": "claude-sonnet-4-5",
        "service_tier": "standard",
        "status": "success",
        "usage": {
            "input_tokens": 100,
            "output_tokens": 10,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        },
        "latency_ms": 500,
    }
    record.update(overrides)
    return record


def write_usage(root: Path, day: str, name: str, lines: list, *, compress: bool = True) -> Path:
    """`lines` holds dicts (written as JSON) or raw strings (written as they are)."""
    text = "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines)
    path = root / "usage" / f"dt={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path


def deploy_row(deployment_id: str, change_id: str = "K1", **overrides) -> str:
    row = {
        "deployment_id": deployment_id,
        "change_id": change_id,
        "commit_sha": "abc",
        "service": "api",
        "environment": "production",
        "region": "eu-west-1",
        "attempt": "1",
        "author_email": "ada@example.com",
        "started_at": "2026-04-07T10:00:00Z",
        "finished_at": "2026-04-07T10:10:00Z",
        "status": "succeeded",
        "rollback_of": "",
        "lines_added": "10",
        "lines_deleted": "2",
        "ai_assisted": "true",
    }
    row.update(overrides)
    return ",".join(row[c] for c in DEPLOY_HEADER.split(","))


def write_deploys(
    root: Path, day: str, name: str, rows: list[str], header: str = DEPLOY_HEADER
) -> Path:
    path = root / "deploys" / f"dt={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def write_text(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
