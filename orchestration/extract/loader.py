"""Load landing files into the raw tables: every line loaded or quarantined.

A partition (or an unpartitioned source) is replaced inside one transaction:
its old rows are deleted and its files re-read. Re-running it any number of
times, in any order, leaves the same tables, and a process killed mid-load
leaves the previous state (DuckDB rolls the open transaction back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TypeVar

import duckdb
import pyarrow as pa

from data_quality.core import usage_days_touched
from orchestration import lake as raw_lake
from orchestration.extract.fields import validation_select
from orchestration.extract.otel import OtelWriter
from orchestration.extract.readers import (
    Digest,
    WholeFileFault,
    csv_cells,
    json_line_batches,
    read_ahead,
)
from orchestration.extract.sources import (
    COPILOT,
    DEPLOYS,
    LITELLM,
    OTEL,
    ROSTER,
    USAGE,
    Source,
)
from orchestration.extract.store import (
    LANDING_FILE_COLUMNS,
    USAGE_DAYS_TO_REBUILD,
    ensure_raw_schema,
)
from orchestration.landing import REFERENCE_FILES, ROSTER_FILE, IgnoredFile, LandingZone
from orchestration.settings import partitions_start


@dataclass
class FileResult:
    source: str
    source_file: str
    dt: dt.date | None
    # Lines read; for a source whose lines hold many records (OTLP/JSON), the
    # records read, plus one per line quarantined whole.
    lines_read: int = 0
    rows_loaded: int = 0
    # Records read but not usage (OTel user_prompt, tool_result, ...): counted, not loaded.
    rows_skipped: int = 0
    rows_quarantined: int = 0
    file_status: str = "loaded"
    fault: str | None = None
    content_sha256: str | None = None

    @property
    def balanced(self) -> bool:
        return self.lines_read == self.rows_loaded + self.rows_skipped + self.rows_quarantined


@dataclass
class LoadResult:
    source: str
    table: str
    partition: dt.date | None = None
    files: list[FileResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def lines_read(self) -> int:
        return sum(f.lines_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_skipped(self) -> int:
        return sum(f.rows_skipped for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def files_quarantined(self) -> int:
        return sum(1 for f in self.files if f.file_status == "quarantined")

    def as_metadata(self) -> dict:
        return {
            "files": len(self.files),
            "files_quarantined": self.files_quarantined,
            "lines_read": self.lines_read,
            "rows_loaded": self.rows_loaded,
            "rows_skipped": self.rows_skipped,
            "rows_quarantined": self.rows_quarantined,
        }

    def file_rows(self) -> list[dict]:
        return [asdict(f) for f in self.files]


def _sql_date(value: dt.date | None) -> str:
    return "NULL" if value is None else f"DATE '{value.isoformat()}'"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


SCAN_ROWS = 32_768
_T = TypeVar("_T")


class _Writer:
    """Validates batches of one source and appends them to raw + quarantine."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: Source) -> None:
        self.con = con
        self.source = source
        self.select = validation_select(
            list(source.fields),
            source_kind=source.file_format,
            relation="_aiw_lines",
            partitions_start=partitions_start(),
            derived=source.derived,
            record_rules=source.record_rules,
            json_text=source.json_text,
        )
        if not source.fields[0].stored:
            raise ValueError(f"{source.name}: the first field (the record key) must be stored")
        # Named, so the raw table's column order is its own (store.SOURCE_TABLES).
        self.columns = [name for name, _ in source.raw_columns]
        self.field_columns = ", ".join(self.columns[len(source.extra_columns) + 2 :])

    def write(
        self,
        batch: pa.Table,
        *,
        relative: str,
        partition: dt.date | None,
        snapshot_date: dt.date | None = None,
    ) -> tuple[int, int, int, int]:
        """(lines read, loaded, skipped, quarantined) of one batch."""
        if not batch.num_rows:  # a header-only CSV: a valid file with no records
            return 0, 0, 0, 0
        con = self.con
        # DuckDB scans an Arrow table one record batch per thread: slice it (no copy).
        con.register("_aiw_batch", pa.Table.from_batches(batch.to_batches(max_chunksize=SCAN_ROWS)))
        try:
            delivery = _sql_date(partition)
            if self.source.file_format == "json":
                # Undecodable bytes make a line invalid JSON, whatever they decode to.
                checked = (
                    "CASE WHEN _encoding_ok THEN raw_text END"
                    if "_encoding_ok" in batch.column_names
                    else "raw_text"
                )
                con.execute(
                    "CREATE OR REPLACE TEMP VIEW _aiw_lines AS SELECT line_number, raw_text, "
                    f"{checked} AS _checked, {delivery} AS _dt FROM _aiw_batch"
                )
            else:
                con.execute(
                    f"CREATE OR REPLACE TEMP VIEW _aiw_lines AS SELECT *, {delivery} AS _dt FROM _aiw_batch"
                )
            con.execute(f"CREATE OR REPLACE TEMP TABLE _aiw_validated AS {self.select}")
            leading = {"dt": delivery, "snapshot_date": _sql_date(snapshot_date)}
            lead_sql = "".join(f"{leading[name]}, " for name, _ in self.source.extra_columns)
            con.execute(
                f"INSERT INTO raw.{self.source.table} ({', '.join(self.columns)}) "
                f"SELECT {lead_sql}{_sql_text(relative)}, line_number, {self.field_columns} "
                "FROM _aiw_validated WHERE reason IS NULL"
            )
            # The first field of every source identifies its record (request_id,
            # deployment_id, employee_id, ...): kept as record_key.
            con.execute(
                "INSERT INTO raw.quarantined_records SELECT "
                f"{_sql_text(self.source.name)}, {delivery}, {_sql_text(relative)}, line_number, "
                f"reason, detail, raw_text, CAST({self.source.fields[0].raw_column} AS VARCHAR) "
                "FROM _aiw_validated WHERE reason IS NOT NULL"
            )
            loaded, rejected = con.execute(
                "SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NOT NULL) "
                "FROM _aiw_validated"
            ).fetchone()
            return batch.num_rows, int(loaded), 0, int(rejected)
        finally:
            con.execute("DROP VIEW IF EXISTS _aiw_lines")
            con.execute("DROP TABLE IF EXISTS _aiw_validated")
            con.unregister("_aiw_batch")


def _writer_for(con: duckdb.DuckDBPyConnection, source: Source):
    if source is OTEL:
        return OtelWriter(con)
    return _Writer(con, source)


def _load_file(
    writer: _Writer | OtelWriter,
    landing: LandingZone,
    relative: str,
    *,
    partition: dt.date | None,
    snapshot_date: dt.date | None = None,
) -> FileResult:
    source = writer.source
    result = FileResult(source=source.name, source_file=relative, dt=partition)
    digest = Digest.new()
    try:
        if source.file_format in ("json", "otlp"):
            batches: Iterable[pa.Table] = read_ahead(json_line_batches(landing, relative, digest))
        else:
            batches = [csv_cells(landing, relative, [f.name for f in source.fields], digest)]
        for batch in batches:
            read, loaded, skipped, rejected = writer.write(
                batch, relative=relative, partition=partition, snapshot_date=snapshot_date
            )
            result.lines_read += read
            result.rows_loaded += loaded
            result.rows_skipped += skipped
            result.rows_quarantined += rejected
    except WholeFileFault as fault:
        _quarantine_file(writer.con, source, relative, partition, fault)
        result.lines_read = result.rows_loaded = result.rows_skipped = result.rows_quarantined = 0
        result.file_status = "quarantined"
        result.fault = fault.reason
    result.content_sha256 = digest.hexdigest()
    _record_file(writer.con, result, source.table)
    return result


def _quarantine_file(con, source: Source, relative: str, partition, fault: WholeFileFault) -> None:
    # Rows of batches read before the fault are withdrawn: the file counts as a whole.
    con.execute(f"DELETE FROM raw.{source.table} WHERE source_file = ?", [relative])
    con.execute(
        "DELETE FROM raw.quarantined_records WHERE source_file = ? AND line_number IS NOT NULL",
        [relative],
    )
    con.execute(
        "INSERT INTO raw.quarantined_records VALUES (?, ?, ?, NULL, ?, ?, NULL, NULL)",
        [source.name, partition, relative, fault.reason, fault.detail],
    )


_LANDING_FILE_INSERT = (
    f"INSERT INTO raw.landing_files ({', '.join(name for name, _ in LANDING_FILE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in LANDING_FILE_COLUMNS)})"
)


def _record_file(con, result: FileResult, table: str) -> None:
    con.execute(
        _LANDING_FILE_INSERT,
        [
            result.source,
            result.dt,
            result.source_file,
            result.content_sha256,
            result.lines_read,
            result.rows_loaded,
            result.rows_skipped,
            result.rows_quarantined,
            result.file_status,
            table,
            result.fault,
        ],
    )


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], _T]) -> _T:
    con.execute("BEGIN TRANSACTION")
    try:
        result = work()
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return result


def load_partition(
    con: duckdb.DuckDBPyConnection,
    landing: LandingZone,
    source: Source,
    partition: dt.date,
    lake: raw_lake.Lake | None = None,
) -> LoadResult:
    """Replace everything delivery partition `partition` of `source` loaded,
    and with a `lake`, then its Parquet partition (orchestration/lake.py)."""
    if not source.partitioned:
        raise ValueError(f"{source.table} is not partitioned")
    ensure_raw_schema(con)

    def work() -> LoadResult:
        # The days of the rows withdrawn (a file corrected or deleted) need
        # rebuilding as much as the days of the rows added.
        _queue_days_to_rebuild(con, source, partition)
        for table in (source.table, "landing_files"):
            where = "dt = ?" if table == source.table else "dt = ? AND table_name = ?"
            params = [partition] if table == source.table else [partition, source.table]
            con.execute(f"DELETE FROM raw.{table} WHERE {where}", params)
        con.execute(
            "DELETE FROM raw.quarantined_records WHERE source = ? AND dt = ?",
            [source.name, partition],
        )
        result = LoadResult(source=source.name, table=source.table, partition=partition)
        writer = _writer_for(con, source)
        for relative in landing.partition_files(source.name, partition):
            result.files.append(_load_file(writer, landing, relative, partition=partition))
        _queue_days_to_rebuild(con, source, partition)
        raw_lake.record_load(con, source.table, partition)
        return result

    result = _in_transaction(con, work)
    if lake is not None:
        # After the commit: a process killed in between leaves the lake's file
        # with the previous load id, which `lake.sync` finds stale.
        raw_lake.write_partition(con, lake, source.table, partition)
    return result


def _queue_days_to_rebuild(con, source: Source, partition: dt.date) -> None:
    """Queue, for the incremental usage model, the distinct event days of every
    raw copy of a request key that partition `partition` of a request source
    holds (deploys and Copilot days are rebuilt whole, so need none).

    A copy added or removed can change which copy of its request wins, and the
    copies may sit on other days (a correction moving the request), so every
    day holding any copy is rebuilt: the partition's own days and those of the
    other copies, found by a semi-join of its keys against raw."""
    if source.rebuild_days is None:
        return
    key, event_time = source.rebuild_days
    # request_ids of different sources never meet (Claude Code's start `cc-`),
    # and duplicates are decided within a source: one table at a time.
    con.execute(
        f"INSERT INTO raw.{USAGE_DAYS_TO_REBUILD} "
        f"{usage_days_touched('dt = ?', f'raw.{source.table}', key, event_time)}",
        [partition],
    )


def load_usage_partition(con, landing: LandingZone, partition: dt.date) -> LoadResult:
    return load_partition(con, landing, USAGE, partition)


def load_otel_partition(con, landing: LandingZone, partition: dt.date) -> LoadResult:
    return load_partition(con, landing, OTEL, partition)


def load_deploys_partition(con, landing: LandingZone, partition: dt.date) -> LoadResult:
    return load_partition(con, landing, DEPLOYS, partition)


def load_litellm_partition(con, landing: LandingZone, partition: dt.date) -> LoadResult:
    return load_partition(con, landing, LITELLM, partition)


def load_copilot_partition(con, landing: LandingZone, partition: dt.date) -> LoadResult:
    return load_partition(con, landing, COPILOT, partition)


def _forget_file(con, table: str, relative: str, source_name: str) -> None:
    con.execute(f"DELETE FROM raw.{table} WHERE source_file = ?", [relative])
    con.execute(
        "DELETE FROM raw.quarantined_records WHERE source = ? AND source_file = ?",
        [source_name, relative],
    )
    con.execute(
        "DELETE FROM raw.landing_files WHERE table_name = ? AND source_file = ?", [table, relative]
    )


def load_roster(
    con: duckdb.DuckDBPyConnection, landing: LandingZone, lake: raw_lake.Lake | None = None
) -> LoadResult:
    """Bring raw.roster_snapshots in line with the roster folder.

    Snapshots are immutable in practice, so a file whose content hash is
    unchanged since its last load is not parsed again; changed, new and
    vanished files are replaced, added and removed.
    """
    ensure_raw_schema(con)

    def work() -> LoadResult:
        result = LoadResult(source=ROSTER.name, table=ROSTER.table)
        present = landing.files("roster")
        known = dict(
            con.execute(
                "SELECT source_file, content_sha256 FROM raw.landing_files WHERE table_name = ?",
                [ROSTER.table],
            ).fetchall()
        )
        for relative in sorted(set(known) - set(present)):
            _forget_file(con, ROSTER.table, relative, ROSTER.name)
        writer = _Writer(con, ROSTER)
        for relative in present:
            name = relative.rsplit("/", 1)[-1]
            digest = Digest.new()
            try:
                with landing.open(relative) as handle:
                    digest.sha.update(handle.read())
            except OSError:
                pass
            if known.get(relative) == digest.hexdigest():
                result.files.append(_file_result_from_manifest(con, ROSTER.table, relative))
                continue
            _forget_file(con, ROSTER.table, relative, ROSTER.name)
            match = ROSTER_FILE.match(name)
            snapshot = _parse_date(match.group(1)) if match else None
            if snapshot is None:
                fault = WholeFileFault(
                    "bad_file_name", "roster files are named roster_YYYY-MM-DD.csv"
                )
                _quarantine_file(con, ROSTER, relative, None, fault)
                file_result = FileResult(
                    ROSTER.name,
                    relative,
                    None,
                    file_status="quarantined",
                    fault=fault.reason,
                    content_sha256=digest.hexdigest(),
                )
                _record_file(con, file_result, ROSTER.table)
                result.files.append(file_result)
                continue
            result.files.append(
                _load_file(writer, landing, relative, partition=None, snapshot_date=snapshot)
            )
        return result

    return _then_lake(con, _in_transaction(con, work), lake)


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _file_result_from_manifest(con, table: str, relative: str) -> FileResult:
    row = con.execute(
        "SELECT source, dt, source_file, lines_read, rows_loaded, rows_quarantined, file_status, "
        "content_sha256, rows_skipped FROM raw.landing_files WHERE table_name = ? AND source_file = ?",
        [table, relative],
    ).fetchone()
    return FileResult(
        source=row[0],
        dt=row[1],
        source_file=row[2],
        lines_read=row[3],
        rows_loaded=row[4],
        rows_quarantined=row[5],
        file_status=row[6],
        content_sha256=row[7],
        rows_skipped=row[8] or 0,
    )


def load_reference(
    con: duckdb.DuckDBPyConnection,
    landing: LandingZone,
    source: Source,
    lake: raw_lake.Lake | None = None,
) -> LoadResult:
    """Replace one reference table (price book, contracts, identities) from its file."""
    ensure_raw_schema(con)
    relative = REFERENCE_FILES[source.table]

    def work() -> LoadResult:
        _forget_file(con, source.table, relative, source.name)
        result = LoadResult(source=source.name, table=source.table)
        if not landing.exists(relative):
            result.notes.append(f"{relative} is missing: {source.table} is empty")
            return result
        result.files.append(_load_file(_Writer(con, source), landing, relative, partition=None))
        return result

    return _then_lake(con, _in_transaction(con, work), lake)


def _then_lake(con, result: LoadResult, lake: raw_lake.Lake | None) -> LoadResult:
    """An unpartitioned table, once loaded, replaces its file in the lake."""
    if lake is not None:
        raw_lake.write_table(con, lake, result.table)
    return result


def record_ignored_files(con: duckdb.DuckDBPyConnection, landing: LandingZone) -> list[IgnoredFile]:
    """Replace the `ignored` rows of raw.landing_files with every file below the
    landing root that no run reads, each with its reason: nothing delivered
    disappears without a trace. The whole root is listed, so the rows describe
    the landing zone as it stands, whichever partitions the run loaded."""
    ensure_raw_schema(con)
    ignored = landing.ignored_files()

    def work() -> list[IgnoredFile]:
        con.execute("DELETE FROM raw.landing_files WHERE file_status = 'ignored'")
        if ignored:
            con.executemany(
                _LANDING_FILE_INSERT,
                [
                    [f.source, f.dt, f.source_file, None, 0, 0, 0, 0, "ignored", None, f.reason]
                    for f in ignored
                ],
            )
        return ignored

    return _in_transaction(con, work)
