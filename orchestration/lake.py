"""The raw layer as a Parquet lake that DuckDB and Spark both read.

Layout, under a folder or any fsspec URL: the raw tables of the five sources
partitioned by delivery day are `<table>/dt=YYYY-MM-DD/part-0.parquet`, one
file per (table, day); every other raw table is `<table>/part-0.parquet`. A
file is written beside its place under a hidden temporary name and renamed
over it (`os.replace`; on an object store, one PUT of the whole object), so a
reader sees the previous partition or the new one, never a mix and never a
gap. Every file carries a token in its Parquet key-value metadata: for a
partition, the load id extraction recorded for it in `raw.lake_partitions`
(a new one each time the partition is replaced), for a whole table a hash of
its rows; both with a hash of the table's columns. A file whose token differs
from WORK's is stale.

Extraction writes the lake as it loads, when the lake is enabled (`AIW_LAKE`,
or `--engine spark`): the day's partition after the load's transaction
commits, a whole table after its load; `sync` then brings whatever is missing
or stale (the accounting tables, a load interrupted between its commit and its
file) up to date, and removes partitions WORK no longer has. `export_raw`
rewrites everything (the backfill path). The dbt `spark` target registers
one view per table over the lake (macro `register_raw_lake`);
docs/architecture.md, "The raw layer on Spark".
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.extract.sources import PARTITIONED
from orchestration.extract.store import LAKE_PARTITIONS
from orchestration.settings import engine, lake_setting
from orchestration.spark_env import lake_url_for

# raw tables partitioned by delivery day in the lake: every partitioned source
PARTITIONED_BY_DT = tuple(sorted({source.table for source in PARTITIONED}))
# WORK's record of each partition's current load; not exported
LOAD_IDS_TABLE = LAKE_PARTITIONS
TOKEN_KEY = b"aiw_lake_token"
DATA_FILE = "part-0.parquet"


class LakeError(Exception):
    """The lake cannot be written (say, an fsspec URL without its filesystem package)."""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Lake:
    """Where the lake is: a local folder, or an fsspec URL (s3://, gs://, memory://)."""

    url: str

    def __post_init__(self) -> None:
        import fsspec

        try:
            fs, root = fsspec.core.url_to_fs(self.url)
        except (ImportError, ValueError) as exc:
            # fsspec names the package a scheme needs ("Install s3fs to access S3")
            raise LakeError(f"lake {self.url} cannot be written: {exc}") from None
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "root", root.rstrip("/"))
        object.__setattr__(self, "local", "file" in _protocols(fs))

    def table_dir(self, table: str) -> str:
        return f"{self.root}/{table}"

    def file(self, table: str, day=None) -> str:
        folder = self.table_dir(table)
        return f"{folder}/{DATA_FILE}" if day is None else f"{folder}/dt={day}/{DATA_FILE}"

    def write(self, con: duckdb.DuckDBPyConnection, query: str, target: str, token: str) -> int:
        """COPY `query` to `target`, replacing it whole; the rows written."""
        copy = "(FORMAT parquet, KV_METADATA {aiw_lake_token: " + _literal(token) + "})"
        folder, name = target.rsplit("/", 1)
        if self.local:
            os.makedirs(folder, exist_ok=True)
            # hidden and not *.parquet: neither engine reads it while it is written
            temporary = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
            try:
                rows = con.execute(f"COPY ({query}) TO {_literal(temporary)} {copy}").fetchone()[0]
                os.replace(temporary, target)
            finally:
                if os.path.exists(temporary):
                    os.remove(temporary)
            return rows
        with tempfile.TemporaryDirectory(prefix="aiw-lake-") as scratch:
            local = os.path.join(scratch, name)
            rows = con.execute(f"COPY ({query}) TO {_literal(local)} {copy}").fetchone()[0]
            self.fs.makedirs(folder, exist_ok=True)
            # one object PUT: an object store shows the old object or the new one
            self.fs.put_file(local, target)
        return rows

    def token(self, path: str) -> str | None:
        import pyarrow.parquet as pq

        try:
            with self.fs.open(path, "rb") as handle:
                metadata = pq.read_metadata(handle).metadata or {}
        except (FileNotFoundError, OSError):
            return None
        value = metadata.get(TOKEN_KEY)
        return value.decode() if value is not None else None

    def days(self, table: str) -> dict[str, str]:
        """{day: path} of the partition folders of `table` in the lake."""
        found = {}
        try:
            entries = self.fs.ls(self.table_dir(table), detail=False)
        except FileNotFoundError:
            return found
        for entry in entries:
            name = entry.rstrip("/").rsplit("/", 1)[-1]
            if name.startswith("dt="):
                found[name[3:]] = entry.rstrip("/")
        return found

    def remove(self, path: str) -> None:
        if self.fs.exists(path):
            self.fs.rm(path, recursive=True)


def _protocols(fs) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def lake_for(work: str | Path) -> Lake | None:
    """The lake extraction writes for WORK file `work`, or None when it is off:
    on when `AIW_LAKE` names one (a folder or fsspec URL) or the engine is
    Spark (then beside WORK by default); DuckDB-only runs never pay for it."""
    if lake_setting() is None and engine() != "spark":
        return None
    return Lake(lake_url_for(Path(work)))


def _as_lake(lake: Lake | str | Path) -> Lake:
    return lake if isinstance(lake, Lake) else Lake(str(lake))


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'raw' and table_type = 'BASE TABLE' "
            "and table_name <> ? order by table_name",
            [LOAD_IDS_TABLE],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, type) of raw table `table` in order; empty when there is no such table."""
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()


def _schema_token(columns: list[tuple[str, str]]) -> str:
    # A column added to WORK makes every file of the table stale: one schema per table.
    described = ",".join(f"{name} {data_type}" for name, data_type in columns)
    return hashlib.sha256(described.encode()).hexdigest()[:16]


def _partitioned(table: str, columns: list[tuple[str, str]]) -> bool:
    return table in PARTITIONED_BY_DT and any(name == "dt" for name, _ in columns)


def _load_ids(con: duckdb.DuckDBPyConnection, table: str, scan: bool) -> dict[str, str]:
    """{day: load id} of a partitioned table: WORK's record, and with `scan`
    also the days the table holds that it lacks (a fresh id each)."""
    ids = {}
    if _columns(con, LOAD_IDS_TABLE):
        ids = {
            day.isoformat(): load_id
            for day, load_id in con.execute(
                f"select dt, load_id from raw.{LOAD_IDS_TABLE} where table_name = ?", [table]
            ).fetchall()
        }
    if scan:
        for (day,) in con.execute(f"select distinct dt from raw.{_quote(table)}").fetchall():
            if day is not None:
                ids.setdefault(day.isoformat(), uuid.uuid4().hex)
    return ids


def record_load(con: duckdb.DuckDBPyConnection, table: str, day) -> None:
    """A new load id for partition (table, day), inside the load's transaction."""
    con.execute(f"delete from raw.{LOAD_IDS_TABLE} where table_name = ? and dt = ?", [table, day])
    con.execute(
        f"insert into raw.{LOAD_IDS_TABLE} values (?, ?, ?)", [table, day, uuid.uuid4().hex]
    )


def _write_day(con, lake: Lake, table: str, day: str, token: str) -> int:
    query = f"select * exclude (dt) from raw.{_quote(table)} where dt = DATE {_literal(day)}"
    return lake.write(con, query, lake.file(table, day), token)


def _drop_strays(lake: Lake, kept: str) -> None:
    """Remove the data files beside `kept` (a lake written before one file per
    partition): two files in one partition would be read as one table."""
    folder = kept.rsplit("/", 1)[0]
    for entry in lake.fs.ls(folder, detail=False):
        name = entry.rstrip("/").rsplit("/", 1)[-1]
        if entry.rstrip("/") != kept and not name.startswith((".", "_")):
            lake.remove(entry)


def _placeholder_day() -> str:
    from orchestration.settings import partitions_start

    return partitions_start().isoformat()


def _table_token(con: duckdb.DuckDBPyConnection, table: str, schema: str) -> str:
    rows, digest = con.execute(
        f"select count(*), coalesce(bit_xor(hash(t)), 0) from raw.{_quote(table)} t"
    ).fetchone()
    return f"{rows}-{digest}-{schema}"


def _sync_partitioned(
    con, lake: Lake, table: str, schema: str, scan: bool, force: bool
) -> int | None:
    """The rows written, None when every file was current."""
    ids = _load_ids(con, table, scan)
    if not ids and con.execute(f"select count(*) from raw.{_quote(table)} limit 1").fetchone()[0]:
        # rows no load recorded (written by hand, or by an older version): their
        # days get an id, kept so the next sync finds them current
        ids = _load_ids(con, table, scan=True)
        if _columns(con, LOAD_IDS_TABLE):
            con.executemany(
                f"insert into raw.{LOAD_IDS_TABLE} values (?, ?, ?)",
                [[table, day, load_id] for day, load_id in ids.items()],
            )
    wanted = {day: f"{load_id}-{schema}" for day, load_id in ids.items()}
    if not wanted:
        # no day loaded: one empty file still gives both engines the table's schema
        wanted = {_placeholder_day(): f"empty-{schema}"}
    present = lake.days(table)
    written = None
    for day, token in sorted(wanted.items()):
        if force or day not in present or lake.token(lake.file(table, day)) != token:
            written = (written or 0) + _write_day(con, lake, table, day, token)
            _drop_strays(lake, lake.file(table, day))
    for day in sorted(set(present) - set(wanted)):
        lake.remove(present[day])
    # a whole-table file of an older layout would hide the partitions from Spark
    lake.remove(lake.file(table))
    return written


def write_partition(
    con: duckdb.DuckDBPyConnection, lake: Lake | str | Path, table: str, day
) -> int:
    """Replace partition (table, day) in the lake with WORK's rows; the rows written."""
    lake = _as_lake(lake)
    day = day.isoformat() if hasattr(day, "isoformat") else str(day)
    load_id = _load_ids(con, table, scan=False).get(day) or uuid.uuid4().hex
    schema = _schema_token(_columns(con, table))
    written = _write_day(con, lake, table, day, f"{load_id}-{schema}")
    placeholder = lake.file(table, _placeholder_day())
    if day != _placeholder_day() and (lake.token(placeholder) or "").startswith("empty-"):
        # the empty file of a table that had no day loaded yet
        lake.remove(placeholder.rsplit("/", 1)[0])
    return written


def write_table(con: duckdb.DuckDBPyConnection, lake: Lake | str | Path, table: str) -> int:
    """Replace an unpartitioned table in the lake with WORK's rows; the rows written."""
    token = _table_token(con, table, _schema_token(_columns(con, table)))
    return _write_whole(con, _as_lake(lake), table, token)


def _write_whole(con: duckdb.DuckDBPyConnection, lake: Lake, table: str, token: str) -> int:
    return lake.write(con, f"select * from raw.{_quote(table)}", lake.file(table), token)


def sync(
    con: duckdb.DuckDBPyConnection, lake: Lake | str | Path, *, force: bool = False
) -> dict[str, int]:
    """Bring the lake in line with WORK's raw tables: write each partition or
    table whose file is missing or stale, remove the partitions WORK no longer
    has. With `force`, rewrite everything. Returns the rows written per table
    of which any file was written."""
    lake = _as_lake(lake)
    written: dict[str, int] = {}
    for table in raw_tables(con):
        columns = _columns(con, table)
        schema = _schema_token(columns)
        if _partitioned(table, columns):
            rows = _sync_partitioned(con, lake, table, schema, scan=force, force=force)
            if rows is not None:
                written[table] = rows
            continue
        token = _table_token(con, table, schema)
        if force or lake.token(lake.file(table)) != token:
            written[table] = _write_whole(con, lake, table, token)
    return written


def export_raw(con: duckdb.DuckDBPyConnection, lake: str | Path | Lake) -> dict[str, int]:
    """Rewrite every raw table of `con` under `lake` (the backfill path: a lake
    on new storage, or one written before extraction wrote it), each file
    swapped in atomically. Returns the rows written per table."""
    return sync(con, lake, force=True)


def queued_days(con: duckdb.DuckDBPyConnection) -> list:
    return [
        row[0]
        for row in con.execute(
            "select distinct usage_date from raw.usage_days_to_rebuild order by 1"
        ).fetchall()
    ]


def consume_queue(con: duckdb.DuckDBPyConnection, days: list) -> None:
    """After dbt on Spark rebuilt the exported queue's days, they leave the
    WORK queue (the DuckDB target's post-hook does this inside dbt; Spark
    cannot delete from a Parquet file). Days queued since the export stay."""
    if days:
        con.execute(
            "delete from raw.usage_days_to_rebuild where usage_date in (select unnest(?::date[]))",
            [days],
        )


def mirror_results(
    con: duckdb.DuckDBPyConnection, spark_dir: str | Path, manifest: str | Path | None = None
) -> list[str]:
    """Load the models dbt on Spark wrote as Parquet (on-run-end hook
    `export_model_results`, `<spark_dir>/results/<schema>/<name>/`) into
    tables of the same names in `con` (the WORK DuckDB file), with the column
    and table descriptions of dbt's manifest as comments, as persist_docs
    gives a DuckDB build. The quality gates and publish then read Spark's
    results exactly as they read DuckDB's. Returns schema.name of each table.
    """
    import json

    results = Path(spark_dir) / "results"
    docs: dict[tuple[str, str], dict] = {}
    if manifest is not None and Path(manifest).exists():
        for node in json.loads(Path(manifest).read_text())["nodes"].values():
            if node["resource_type"] == "model":
                docs[(node["schema"], node["alias"])] = node
    mirrored = []
    for schema_dir in sorted(p for p in results.iterdir() if p.is_dir()):
        schema = schema_dir.name
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
        for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            name = table_dir.name
            relation = f"{_quote(schema)}.{_quote(name)}"
            files = sorted(str(f) for f in table_dir.glob("*.parquet"))
            if not files:
                raise RuntimeError(f"Spark wrote no Parquet file for {schema}.{name}")
            kind = con.execute(
                "select table_type from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()
            if kind is not None:
                con.execute(f"DROP {'VIEW' if kind[0] == 'VIEW' else 'TABLE'} {relation}")
            con.execute(f"CREATE TABLE {relation} AS SELECT * FROM read_parquet(?)", [files])
            node = docs.get((schema, name))
            if node is not None:
                if node.get("description"):
                    con.execute(f"COMMENT ON TABLE {relation} IS {_literal(node['description'])}")
                present = {
                    row[0]
                    for row in con.execute(
                        "select column_name from information_schema.columns "
                        "where table_schema = ? and table_name = ?",
                        [schema, name],
                    ).fetchall()
                }
                for column, spec in node.get("columns", {}).items():
                    if spec.get("description") and column in present:
                        con.execute(
                            f"COMMENT ON COLUMN {relation}.{_quote(column)} "
                            f"IS {_literal(spec['description'])}"
                        )
            mirrored.append(f"{schema}.{name}")
    return mirrored
