"""Provider cost reports: pages of the Anthropic Admin API cost report.

`reference/provider_costs/anthropic/*.json` holds pages of
`GET /v1/organizations/cost_report` (daily buckets, grouped by description) as
the API returns them. One row per result of every bucket lands in
raw.provider_cost_results; dbt keeps, per bucket × result key, the copy of the
last file in path order (a re-delivered corrected page replaces the earlier).

A page is read whole and is strict: a result with a missing or mistyped field
quarantines the whole page (line_number null, the first fault and its JSON
path in the detail). A page with a hole would under-state what was invoiced
and show up as a false discrepancy; the page can be fetched again instead.
Amounts are decimal strings in cents, kept as DECIMAL (never a float).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import duckdb
import pyarrow as pa

from orchestration import lake as raw_lake
from orchestration.extract.loader import (
    FileResult,
    LoadResult,
    _forget_file,
    _in_transaction,
    _quarantine_file,
    _record_file,
)
from orchestration.extract.readers import Digest, WholeFileFault, _read_blocks
from orchestration.extract.store import (
    AMOUNT_TYPE,
    BUCKET_COLUMNS,
    BUCKETS_TABLE,
    COST_COLUMNS,
    COST_TABLE,
    KEY_FIELDS,
    ensure_raw_schema,
)
from orchestration.landing import PROVIDER_COSTS_FOLDER, LandingZone

SOURCE = "reference"  # the quarantine's source value for reference data
TABLE = COST_TABLE
COLUMNS = COST_COLUMNS

# Cents with up to 12 decimal places fit DECIMAL(38, 12) exactly; more places
# would have to be rounded, so such an amount is rejected instead.
_AMOUNT = re.compile(r"^-?[0-9]{1,26}(\.[0-9]{1,12})?$")


class _PageFault(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _timestamp(value, where: str) -> dt.datetime:
    if value is None:
        raise _PageFault("missing_field", f"{where} is missing")
    if not isinstance(value, str):
        raise _PageFault("wrong_type", f"{where}: expected an RFC 3339 string, got {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _PageFault("invalid_timestamp", f"{where}: not a timestamp with offset: {value!r}")
    return parsed.astimezone(dt.UTC).replace(tzinfo=None)


def _optional_text(result: dict, name: str, where: str) -> str | None:
    value = result.get(name)
    if value is not None and not isinstance(value, str):
        raise _PageFault("wrong_type", f"{where}.{name}: expected a string, got {value!r}")
    return value


def _result_row(result, where: str) -> tuple:
    if not isinstance(result, dict):
        raise _PageFault("wrong_type", f"{where}: expected an object")
    amount = result.get("amount")
    if amount is None:
        raise _PageFault("missing_field", f"{where}.amount is missing")
    # The API sends a decimal string; a JSON number would already be a float.
    if not isinstance(amount, str) or not _AMOUNT.match(amount.strip()):
        raise _PageFault("wrong_type", f"{where}.amount: expected a decimal string, got {amount!r}")
    currency = result.get("currency")
    if currency is None:
        raise _PageFault("missing_field", f"{where}.currency is missing")
    if currency != "USD":
        raise _PageFault(
            "invalid_value", f"{where}.currency: only USD is reported, got {currency!r}"
        )
    keys = {name: _optional_text(result, name, where) for name in KEY_FIELDS}
    if keys["cost_type"] is None:
        # Without grouping by description, token costs cannot be told apart
        # from web search or code execution, nor assigned to a model.
        raise _PageFault("missing_field", f"{where}.cost_type is missing (group_by description)")
    if keys["cost_type"] == "tokens" and keys["model"] is None:
        raise _PageFault("missing_field", f"{where}.model is missing for a token cost")
    return (*keys.values(), currency, Decimal(amount.strip()))


def _page_rows(page) -> tuple[list[tuple], list[tuple]]:
    if not isinstance(page, dict):
        raise _PageFault("invalid_json", "a cost-report page is a JSON object")
    buckets = page.get("data")
    if not isinstance(buckets, list):
        raise _PageFault("missing_field", "data: expected the array of daily buckets")
    rows, bucket_rows = [], []
    for i, bucket in enumerate(buckets):
        where = f"data[{i}]"
        if not isinstance(bucket, dict):
            raise _PageFault("wrong_type", f"{where}: expected an object")
        starting_at = _timestamp(bucket.get("starting_at"), f"{where}.starting_at")
        ending_at = _timestamp(bucket.get("ending_at"), f"{where}.ending_at")
        results = bucket.get("results")
        if not isinstance(results, list):
            raise _PageFault("missing_field", f"{where}.results: expected an array")
        bucket_rows.append((starting_at, ending_at))
        for j, result in enumerate(results):
            rows.append((starting_at, ending_at, *_result_row(result, f"{where}.results[{j}]")))
    return rows, bucket_rows


def _load_page(con, landing: LandingZone, provider: str, relative: str) -> FileResult:
    result = FileResult(source=SOURCE, source_file=relative, dt=None)
    digest = Digest.new()
    try:
        content = b"".join(_read_blocks(landing, relative, digest))
        try:
            page = json.loads(content.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise WholeFileFault("invalid_encoding", f"not valid UTF-8: {exc}") from None
        except json.JSONDecodeError as exc:
            raise WholeFileFault("invalid_json", f"not valid JSON: {exc}") from None
        try:
            rows, buckets = _page_rows(page)
        except _PageFault as fault:
            raise WholeFileFault(fault.reason, fault.detail) from None
        if rows:
            _insert(
                con,
                TABLE,
                COLUMNS,
                [(provider, relative, n, *row) for n, row in enumerate(rows, start=1)],
            )
        if buckets:
            _insert(con, BUCKETS_TABLE, BUCKET_COLUMNS, [(provider, relative, *b) for b in buckets])
        result.lines_read = result.rows_loaded = len(rows)
    except WholeFileFault as fault:
        _quarantine_page(con, relative, fault)
        result.file_status = "quarantined"
        result.fault = fault.reason
    result.content_sha256 = digest.hexdigest()
    _record_file(con, result, TABLE)
    return result


def _insert(con, table_name: str, columns, rows: list[tuple]) -> None:
    types = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "TIMESTAMP": pa.timestamp("us")}
    types[AMOUNT_TYPE] = pa.decimal128(38, 12)
    table = pa.table(
        {
            name: pa.array([row[i] for row in rows], type=types[sql_type])
            for i, (name, sql_type) in enumerate(columns)
        }
    )
    con.register("_aiw_cost_page", table)
    try:
        con.execute(f"INSERT INTO raw.{table_name} SELECT * FROM _aiw_cost_page")
    finally:
        con.unregister("_aiw_cost_page")


def _quarantine_page(con, relative: str, fault: WholeFileFault) -> None:
    class _Source:  # the two attributes _quarantine_file reads
        name = SOURCE
        table = TABLE

    _quarantine_file(con, _Source, relative, None, fault)
    con.execute(f"DELETE FROM raw.{BUCKETS_TABLE} WHERE source_file = ?", [relative])


def ensure_provider_cost_table(con: duckdb.DuckDBPyConnection) -> None:
    ensure_raw_schema(con)


def load_provider_costs(
    con: duckdb.DuckDBPyConnection, landing: LandingZone, lake: raw_lake.Lake | None = None
) -> LoadResult:
    """Replace raw.provider_cost_results from the cost-report pages present."""
    ensure_provider_cost_table(con)

    def work() -> LoadResult:
        result = LoadResult(source=SOURCE, table=TABLE)
        known = [
            row[0]
            for row in con.execute(
                "SELECT source_file FROM raw.landing_files WHERE table_name = ?", [TABLE]
            ).fetchall()
        ]
        for relative in known:
            _forget_file(con, TABLE, relative, SOURCE)
        con.execute(f"DELETE FROM raw.{BUCKETS_TABLE}")
        for provider, relative in landing.cost_report_pages():
            result.files.append(_load_page(con, landing, provider, relative))
        if not result.files:
            result.notes.append(
                f"no cost-report pages under {PROVIDER_COSTS_FOLDER}/: nothing to reconcile"
            )
        return result

    result = _in_transaction(con, work)
    if lake is not None:
        for table in (COST_TABLE, BUCKETS_TABLE):
            raw_lake.write_table(con, lake, table)
    return result
