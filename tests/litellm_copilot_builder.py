"""Landing files in LiteLLM's and Copilot's own formats, built from the
hand-written fixtures in tests/fixtures/sources/ (see tests/fixtures/README.md)."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

from orchestration.settings import REPO_ROOT

SOURCES = REPO_ROOT / "tests" / "fixtures" / "sources"
LITELLM_FIXTURE = SOURCES / "litellm" / "dt=2026-04-07" / "spend_logs_2026-04-06.jsonl"
COPILOT_FIXTURE = SOURCES / "copilot" / "dt=2026-04-07" / "users-1-day_2026-04-06.ndjson"
IDENTITIES_FIXTURE = SOURCES / "reference" / "identities.csv"


def fixture_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def litellm_row(request_id: str = "chatcmpl-test", **overrides) -> dict:
    """The fixture's first spend-log row (metadata as an object), with overrides;
    `metadata_usage` overrides members of metadata.usage_object."""
    row = copy.deepcopy(fixture_rows(LITELLM_FIXTURE)[0])
    row["request_id"] = request_id
    usage = overrides.pop("metadata_usage", None)
    if usage is not None:
        row["metadata"]["usage_object"].update(usage)
    row.update(overrides)
    return row


def copilot_row(user_login: str = "amara-mapsads", **overrides) -> dict:
    row = copy.deepcopy(fixture_rows(COPILOT_FIXTURE)[0])
    row["user_login"] = user_login
    row.update(overrides)
    return row


def without(row: dict, *names: str) -> dict:
    return {k: v for k, v in row.items() if k not in names}


def write_lines(
    root: Path, folder: str, day: str, name: str, lines: list, *, compress: bool | None = None
) -> Path:
    """`lines` holds dicts (written as JSON), strings (written as they are) or
    bytes (written raw). Compressed when the name ends with .gz."""
    data = b"".join(
        (x if isinstance(x, bytes) else (json.dumps(x) if isinstance(x, dict) else x).encode())
        + b"\n"
        for x in lines
    )
    path = root / folder / f"dt={day}" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress is None:
        compress = name.endswith(".gz")
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path
