"""The conformance organisation's usage through Claude Code telemetry and LiteLLM
spend logs, in those tools' own file formats, gives the gateway run's BI tables.

Three landing zones share the conformance roster, reference files and deploys:

- `gateway`: the conformance usage made *source-neutral*: the batch tier
  rewritten as standard, the 5-minute / 1-hour cache-write split dropped (one
  cache-write count, priced as 5-minute writes) and the tokens of error
  requests zeroed. Neither real format carries those (sources.md: batch only in
  the gateway log; OTel and LiteLLM give one cache-write count; a failed
  request reports no tokens), so this run, not the raw conformance case, is the
  baseline. Lines it cannot parse stay as they are.
- `otel`: every gateway file re-expressed as an OTel Collector `file` exporter
  file of Claude Code log records (`sample_data.otel_logs`). Claude Code sends
  no request id (the warehouse derives one from the content), so a corrected
  duplicate would be a second event: only each request's winning copy is
  written.
- `litellm`: every gateway line re-expressed as a `LiteLLM_SpendLogs` row
  (`sample_data.litellm_logs`) in a file of the same name, so duplicates,
  corrections and late copies are decided by the same rule.

Lines the gateway run quarantines are left out of both converted zones (their
own quarantine rules are tested with the extractors). Each zone runs the real
extraction and a dbt run of the compared marts and their parents; the marts
must be equal row for row, apart from `client` (Claude Code's is always
`claude_code`; LiteLLM's comes from its request tags).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from sample_data.litellm_logs import gateway_record_to_litellm_row
from sample_data.otel_logs import export_logs_request, gateway_record_to_otel_log_record
from tests.dbt._dbt import CONFORMANCE_DIR, extract_landing, pseudonym_key, run_dbt_ok
from tests.duckdb_files import query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("source_equivalence")]

COMPARED = (
    "marts.fct_token_usage_daily",
    "marts.fct_ai_cost_daily",
    "marts.team_weekly_metrics",
    "marts.pricing_shift_monthly",
    "restricted.developer_signals_daily",
)
SELECT = " ".join("+" + name.split(".")[1] for name in COMPARED) + " fct_ai_activity_daily"


def _read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def _neutral(line: str) -> str:
    """The gateway line as every source can carry it (see the module docstring)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    if record.get("service_tier") == "batch":
        record["service_tier"] = "standard"
    usage = record.get("usage")
    if isinstance(usage, dict):
        usage.pop("cache_creation", None)
        if record.get("status") == "error":
            for key in list(usage):
                usage[key] = 0
    return json.dumps(record)


def _zone(root: Path) -> Path:
    """A landing zone with the conformance case's everything-but-usage."""
    for folder in ("roster", "reference", "deploys"):
        shutil.copytree(CONFORMANCE_DIR / "landing" / folder, root / folder)
    return root


def _run(zone: Path, work: Path) -> Path:
    db = work / "work.duckdb"
    extract_landing(zone, db)
    run_dbt_ok(["run", "--select", SELECT], work, db)
    return db


def _rows_without_client(db: Path, table: str, without: tuple[str, ...] = ()) -> list[tuple]:
    """The rows of `table` without `client` (and `without`); fct_token_usage_daily,
    whose grain includes the client, summed over it."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(f"SELECT * FROM {table} LIMIT 0").description
        kept = [(c[0], str(c[1]).upper()) for c in columns if c[0] not in ("client", *without)]
        if table == "marts.fct_token_usage_daily":
            keys = {"usage_date", "employee_id", "team_id", "model"}
            select = ", ".join(
                name if name in keys else _aggregate(name, kind) for name, kind in kept
            )
            query = f"SELECT {select} FROM {table} GROUP BY ALL"
        else:
            # sums of doubles may differ in the last bits with the order of addition
            select = ", ".join(
                f"round({name}, 9)" if kind in ("DOUBLE", "FLOAT") else name for name, kind in kept
            )
            query = f"SELECT {select} FROM {table}"
        rows = con.execute(query).fetchall()
    finally:
        con.close()
    return sorted(rows, key=repr)


def _aggregate(name: str, kind: str) -> str:
    if kind == "BOOLEAN":
        return f"bool_or({name})"
    if kind in ("DOUBLE", "FLOAT"):
        return f"round(sum({name}), 9)"
    if kind in ("BIGINT", "INTEGER", "HUGEINT") or kind.startswith("DECIMAL"):
        return f"sum({name})"
    return f"min({name})"  # prices_effective_from, price_book_version: per day and model


one_pseudonym_key = pseudonym_key("source-equivalence-key")


@pytest.fixture(scope="module")
def gateway_run(tmp_path_factory, one_pseudonym_key):
    base = tmp_path_factory.mktemp("equivalence")
    zone = _zone(base / "gateway_landing")
    gateway_files = {}
    for path in sorted((CONFORMANCE_DIR / "landing" / "usage").rglob("*.jsonl.gz")):
        relative = path.relative_to(CONFORMANCE_DIR / "landing")
        target = zone / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = [_neutral(line) for line in _read_lines(path)]
        with gzip.open(target, "wt", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
        gateway_files[relative.as_posix()] = lines
    (base / "gateway").mkdir()
    db = _run(zone, base / "gateway")
    con = duckdb.connect(str(db), read_only=True)
    try:
        loaded = con.execute(
            "SELECT source_file, line_number, request_id FROM raw.usage_requests"
        ).fetchall()
        redelivered = {
            row[0]
            for row in con.execute(
                "SELECT source_file FROM intermediate.int_landing__redelivered_files"
            ).fetchall()
        }
    finally:
        con.close()
    return base, db, gateway_files, loaded, redelivered


def _loaded_records(gateway_files, loaded):
    """(source_file, line_number) -> record of every line the gateway run loaded."""
    return {
        (source_file, line): json.loads(gateway_files[source_file][line - 1])
        for source_file, line, _ in loaded
    }


def _write(zone: Path, folder: str, source_file: str, lines: list[str]) -> None:
    # usage/dt=D/gw-0.jsonl.gz -> <folder>/dt=D/gw-0.jsonl: same path order
    day, name = Path(source_file).parts[-2:]
    target = zone / folder / day / name.removesuffix(".gz")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


@pytest.fixture(scope="module")
def otel_run(gateway_run):
    base, _, gateway_files, loaded, redelivered = gateway_run
    records = _loaded_records(gateway_files, loaded)
    winners: dict[str, tuple[str, int]] = {}
    for source_file, line, request_id in sorted(loaded):
        if source_file not in redelivered:
            winners[request_id] = (source_file, line)  # the last in path order wins
    zone = _zone(base / "otel_landing")
    by_file: dict[str, list[str]] = {}
    for source_file, line in sorted(set(winners.values())):
        record = gateway_record_to_otel_log_record(records[(source_file, line)])
        by_file.setdefault(source_file, []).append(json.dumps(export_logs_request([record])))
    for source_file, lines in by_file.items():
        _write(zone, "otel", source_file, lines)
    (base / "otel").mkdir()
    return _run(zone, base / "otel"), len(winners)


@pytest.fixture(scope="module")
def litellm_run(gateway_run):
    base, _, gateway_files, loaded, _ = gateway_run
    records = _loaded_records(gateway_files, loaded)
    zone = _zone(base / "litellm_landing")
    by_file: dict[str, list[str]] = {}
    for (source_file, line), record in sorted(records.items()):
        # a third of the rows behind a provider prefix, some with metadata as text
        row = gateway_record_to_litellm_row(
            record, provider_prefix=line % 3 == 0, metadata_as_string=line % 2 == 0
        )
        by_file.setdefault(source_file, []).append(json.dumps(row))
    for source_file, lines in by_file.items():
        _write(zone, "litellm", source_file, lines)
    (base / "litellm").mkdir()
    return _run(zone, base / "litellm"), len(records)


def _assert_equal_marts(gateway_db: Path, other_db: Path, without: tuple[str, ...] = ()) -> None:
    differing = {}
    for table in COMPARED:
        ours = _rows_without_client(other_db, table, without)
        theirs = _rows_without_client(gateway_db, table, without)
        assert theirs, f"{table} is empty in the gateway run"
        if ours != theirs:
            differing[table] = (
                sorted(set(theirs) - set(ours), key=repr)[:5],
                sorted(set(ours) - set(theirs), key=repr)[:5],
            )
    assert not differing, differing


def _activity_by_tool(db: Path) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in query(
            db,
            "SELECT tool, sum(requests_or_interactions), sum(billable_tokens)"
            " FROM marts.fct_ai_activity_daily GROUP BY tool",
        )
    }


def _count(db: Path, table: str) -> int:
    return query(db, f"SELECT count(*) FROM {table}")[0][0]


def _quarantined(db: Path, source: str) -> int:
    return query(db, "SELECT count(*) FROM raw.quarantined_records WHERE source = ?", [source])[0][
        0
    ]


def test_claude_code_telemetry_gives_the_gateway_marts(gateway_run, otel_run):
    _, gateway_db, *_ = gateway_run
    otel_db, records_written = otel_run
    assert _count(otel_db, "raw.claude_code_api_requests") == records_written
    assert _count(otel_db, "raw.usage_requests") == 0
    assert _quarantined(otel_db, "otel") == 0
    # Claude Code's events name no agent: its requests are never agent requests
    _assert_equal_marts(gateway_db, otel_db, without=("agent_requests",))
    # the activity fact names the tool the usage came through, with the same totals
    assert _activity_by_tool(otel_db)["claude_code"] == _activity_by_tool(gateway_db)["gateway"]


def test_litellm_spend_logs_give_the_gateway_marts(gateway_run, litellm_run):
    _, gateway_db, *_ = gateway_run
    litellm_db, rows_written = litellm_run
    assert _count(litellm_db, "raw.litellm_spend_logs") == rows_written
    assert _quarantined(litellm_db, "litellm") == 0
    _assert_equal_marts(gateway_db, litellm_db)
    assert _activity_by_tool(litellm_db)["litellm"] == _activity_by_tool(gateway_db)["gateway"]
