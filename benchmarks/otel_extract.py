"""Throughput of the Claude Code telemetry extraction (otel/) on a synthetic day.

Writes one gzip file of OTLP/JSON lines as the collector's file exporter would
(batches of log records: about half usage events, half others, attribute values
as strings as Claude Code sends them), loads its partition through the real
loader, and prints records per second. For comparison it loads the same number
of usage requests as gateway log lines.

    uv run python benchmarks/otel_extract.py --records 400000
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from orchestration.extract import OTEL, USAGE, load_partition  # noqa: E402
from orchestration.landing import LandingZone  # noqa: E402

DAY = dt.date(2026, 4, 7)
BATCH = 50  # log records per ExportLogsServiceRequest (one export every few seconds)
OTHER_EVENTS = ("user_prompt", "tool_decision", "tool_result")


def _s(key: str, value: str) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def _record(rng: random.Random, n: int) -> tuple[dict, dict | None]:
    """An OTel log record and, for a usage event, the same request as a gateway line."""
    second = n % 86_400
    ts = f"{DAY}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{n % 1000:03d}Z"
    user = f"dev{rng.randrange(2000):04d}@example.com"
    session = f"ses-{rng.randrange(50_000):05d}"
    kind = rng.random()
    name = (
        "api_request" if kind < 0.45 else "api_error" if kind < 0.48 else rng.choice(OTHER_EVENTS)
    )
    attributes = [
        _s("event.name", name),
        _s("event.timestamp", ts),
        _s("session.id", session),
        _s("user.email", user),
        _s("user.account_uuid", f"uuid-{user}"),
        _s("organization.id", "org-1"),
        _s("terminal.type", "vscode"),
    ]
    gateway = None
    if name in ("api_request", "api_error"):
        counts = [
            rng.randrange(5000),
            rng.randrange(2000),
            rng.randrange(50_000),
            rng.randrange(4000),
        ]
        if name == "api_error":
            counts = [0, 0, 0, 0]
        attributes += [
            _s("model", "claude-sonnet-4-5"),
            _s("duration_ms", str(rng.randrange(9000))),
        ]
        if name == "api_request":
            attributes += [
                _s("cost_usd", f"{rng.random() / 10:.6f}"),
                _s("input_tokens", str(counts[0])),
                _s("output_tokens", str(counts[1])),
                _s("cache_read_tokens", str(counts[2])),
                _s("cache_creation_tokens", str(counts[3])),
            ]
        else:
            attributes += [_s("error", "overloaded"), _s("status_code", "529")]
        gateway = {
            "request_id": f"r{n}",
            "timestamp": ts,
            "user_email": user,
            "client": "cli_agent",
            "session_id": session,
            "model": "claude-sonnet-4-5",
            "status": "success" if name == "api_request" else "error",
            "usage": dict(
                zip(
                    (
                        "input_tokens",
                        "output_tokens",
                        "cache_read_input_tokens",
                        "cache_creation_input_tokens",
                    ),
                    counts,
                    strict=True,
                )
            ),
        }
    else:
        attributes.append(_s("prompt_length", str(rng.randrange(400))))
    record = {
        "timeUnixNano": "1775556000000000000",
        "body": {"stringValue": f"claude_code.{name}"},
        "attributes": attributes,
    }
    return record, gateway


def write_day(root: Path, records: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    resource = {"attributes": [_s("service.name", "claude-code"), _s("service.version", "2.0.14")]}
    otel_dir = root / "otel" / f"dt={DAY}"
    usage_dir = root / "usage" / f"dt={DAY}"
    otel_dir.mkdir(parents=True)
    usage_dir.mkdir(parents=True)
    usage = 0
    with (
        gzip.open(otel_dir / "claude_code.jsonl.gz", "wt", compresslevel=1) as otel,
        gzip.open(usage_dir / "gw.jsonl.gz", "wt", compresslevel=1) as gateway,
    ):
        for first in range(0, records, BATCH):
            batch = [_record(rng, n) for n in range(first, min(first + BATCH, records))]
            line = {
                "resourceLogs": [
                    {
                        "resource": resource,
                        "scopeLogs": [
                            {
                                "scope": {"name": "com.anthropic.claude_code.events"},
                                "logRecords": [r for r, _ in batch],
                            }
                        ],
                    }
                ]
            }
            otel.write(json.dumps(line, separators=(",", ":")) + "\n")
            for _, g in batch:
                if g is not None:
                    gateway.write(json.dumps(g, separators=(",", ":")) + "\n")
                    usage += 1
    return usage


def timed_load(con, root: Path, source) -> tuple[float, object]:
    start = time.perf_counter()
    result = load_partition(con, LandingZone(str(root)), source, DAY)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=400_000, help="OTel log records")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "landing"
        usage = write_day(root, args.records)
        size = (root / "otel" / f"dt={DAY}" / "claude_code.jsonl.gz").stat().st_size
        con = duckdb.connect(str(Path(tmp) / "work.duckdb"))
        con.execute("SET TimeZone = 'UTC'")
        seconds, otel = timed_load(con, root, OTEL)
        assert otel.files[0].balanced
        gw_seconds, gw = timed_load(con, root, USAGE)
        con.close()
    print(
        f"otel file: {args.records:,} log records in {args.records // BATCH:,} lines, {size / 2**20:.1f} MiB gzip"
    )
    print(
        f"otel extraction: {seconds:.1f} s, {args.records / seconds:,.0f} records/s "
        f"(loaded {otel.rows_loaded:,}, skipped {otel.rows_skipped:,}, "
        f"quarantined {otel.rows_quarantined:,}); {otel.rows_loaded / seconds:,.0f} usage records/s"
    )
    print(
        f"gateway log, the same {usage:,} requests: {gw_seconds:.1f} s, "
        f"{gw.rows_loaded / gw_seconds:,.0f} lines/s"
    )


if __name__ == "__main__":
    main()
