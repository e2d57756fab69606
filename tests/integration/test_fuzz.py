"""Fuzz: a small generated landing zone, at least 1,000 random mutations of its
usage lines and deploy/roster rows, one `aiw run` in-process.

Whatever the input, the pipeline must account for every line of every file
(read = loaded + quarantined, each against the rows actually present), list
every file it does not read, exit 0 or 1 with no traceback, and leave the
serving file either fully updated or byte-identical to before.

The seed is fixed (so `make test` is repeatable); set AIW_FUZZ_SEED to explore
others, and AIW_FUZZ_MUTATIONS for more mutations.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.extract.fields import MAX_COUNT
from orchestration.publish import publish
from orchestration.settings import partitions_start, work_path_for
from tests.generated_org import generated_landing

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fuzz")]

SEED = int(os.environ.get("AIW_FUZZ_SEED", "20260412"))
MUTATIONS = max(1000, int(os.environ.get("AIW_FUZZ_MUTATIONS", "1200")))
DAYS = 4

USAGE_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
HUGE = (MAX_COUNT, MAX_COUNT + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30)
OFFSETS = ("+99:99", "+15:00", "-13:00", "+14:00", "-12:00", "+05:60", "+0530", "Z", "")
ODD_TIMES = (
    "1970-01-01T00:00:00Z",
    "2024-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2026-02-30T10:00:00Z",
    "yesterday",
)
ODD_VALUES = ("12", 1.5, True, None, [], {}, "n/a", 7, "", -0.0, "\u00e9\u4e2d")
ODD_CELLS = (b"n/a", b"1.5", b"true", b"", b'"quoted"', b'"unbalanced', b"\xff\xfe", b"\x00")


@dataclass
class Unit:
    """One usage line or CSV data row of a file, as bytes (no newline)."""

    file: Path
    text: bytes
    copies: int = 1


@dataclass
class Mutated:
    lines: dict[Path, list[Unit]] = field(default_factory=dict)
    headers: dict[Path, bytes] = field(default_factory=dict)
    applied: Counter = field(default_factory=Counter)


def _load(landing: Path) -> Mutated:
    zone = Mutated()
    for path in sorted(landing.rglob("*")):
        if not path.is_file() or path.name.startswith("_"):
            continue
        relative = path.relative_to(landing).as_posix()
        if relative.startswith("usage/"):
            try:
                data = gzip.decompress(path.read_bytes())
            except (OSError, EOFError):  # the generator's own truncated gzip stays as it is
                continue
            zone.lines[path] = [Unit(path, line) for line in data.split(b"\n")[:-1]]
        elif relative.startswith(("deploys/", "roster/")):
            header, *rows = path.read_bytes().split(b"\n")
            zone.headers[path] = header
            zone.lines[path] = [Unit(path, row) for row in rows if row]
    return zone


def _byte_mutation(rng: random.Random, text: bytes, kind: str) -> bytes:
    if kind == "truncate":
        return text[: rng.randrange(len(text) + 1)]
    if kind == "flip_byte" and text:
        at = rng.randrange(len(text))
        return text[:at] + bytes([rng.randrange(256)]) + text[at + 1 :]
    return text


def _json_mutation(rng: random.Random, text: bytes, kind: str) -> bytes:
    try:
        record = json.loads(text)
    except ValueError:
        return _byte_mutation(rng, text, "flip_byte")
    if not isinstance(record, dict):
        return _byte_mutation(rng, text, "truncate")
    usage = record.get("usage") if isinstance(record.get("usage"), dict) else None
    if kind == "swap_type":
        keys = list(record) + ([f"usage.{k}" for k in usage] if usage else [])
        key = rng.choice(keys)
        target, name = (usage, key[6:]) if key.startswith("usage.") else (record, key)
        target[name] = rng.choice(ODD_VALUES)
    elif kind == "drop_field":
        if usage and rng.random() < 0.4:
            usage.pop(rng.choice(list(usage)), None)
        elif record:
            record.pop(rng.choice(list(record)))
    elif kind in ("huge_number", "negative_number"):
        key = rng.choice((*USAGE_COUNTS, "latency_ms"))
        value = rng.choice(HUGE) if kind == "huge_number" else -rng.choice((1, 5000, *HUGE))
        if key == "latency_ms":
            record[key] = value
        elif usage is not None:
            usage[key] = value
    elif kind == "bad_offset":
        stamp = str(record.get("timestamp", "2026-03-03T10:00:00Z"))
        if rng.random() < 0.3:
            record["timestamp"] = rng.choice(ODD_TIMES)
        else:
            record["timestamp"] = stamp[:19] + rng.choice(OFFSETS)
    return json.dumps(record, ensure_ascii=rng.random() < 0.5).encode()


def _csv_mutation(rng: random.Random, header: bytes, text: bytes, kind: str) -> bytes:
    names = header.decode().strip().split(",")
    cells = text.split(b",")
    if len(cells) != len(names):
        return _byte_mutation(rng, text, "truncate")

    def pick(*wanted: str) -> int:
        present = [names.index(w) for w in wanted if w in names]
        return rng.choice(present) if present else rng.randrange(len(cells))

    if kind == "drop_field":
        del cells[rng.randrange(len(cells))]
    elif kind == "swap_type":
        cells[rng.randrange(len(cells))] = rng.choice(ODD_CELLS)
    elif kind in ("huge_number", "negative_number"):
        at = pick("attempt", "lines_added", "lines_deleted", "annual_salary_usd")
        value = rng.choice(HUGE) if kind == "huge_number" else -rng.choice((1, *HUGE))
        cells[at] = str(value).encode()
    elif kind == "bad_offset":
        at = pick("started_at", "finished_at", "hire_date", "termination_date")
        original = cells[at].decode(errors="replace")[:19] or "2026-03-03T10:00:00"
        cells[at] = (
            rng.choice(ODD_TIMES) if rng.random() < 0.3 else original + rng.choice(OFFSETS)
        ).encode()
    return b",".join(cells)


KINDS = (
    "truncate",
    "flip_byte",
    "swap_type",
    "drop_field",
    "duplicate",
    "huge_number",
    "negative_number",
    "bad_offset",
)


def mutate(landing: Path, rng: random.Random, count: int) -> Counter:
    zone = _load(landing)
    units = [unit for lines in zone.lines.values() for unit in lines]
    for _ in range(count):
        unit, kind = rng.choice(units), rng.choice(KINDS)
        if kind == "duplicate":
            unit.copies += 1
        elif kind in ("truncate", "flip_byte"):
            unit.text = _byte_mutation(rng, unit.text, kind)
        elif unit.file in zone.headers:
            unit.text = _csv_mutation(rng, zone.headers[unit.file], unit.text, kind)
        else:
            unit.text = _json_mutation(rng, unit.text, kind)
        zone.applied[kind] += 1
    for path, lines in zone.lines.items():
        body = b"".join((unit.text + b"\n") * unit.copies for unit in lines)
        if path in zone.headers:
            path.write_bytes(zone.headers[path] + b"\n" + body)
        else:
            path.write_bytes(gzip.compress(body, mtime=0))
    return zone.applied


def add_odd_files(landing: Path) -> set[str]:
    """A header-only export and files no run reads; returns the unread ones."""
    deploys = sorted((landing / "deploys").glob("dt=*"))[-1]
    header = next(deploys.glob("*.csv")).read_bytes().split(b"\n")[0]
    (deploys / "cd-quiet.csv").write_bytes(header + b"\n")
    usage = sorted((landing / "usage").glob("dt=*"))[0]
    some_file = next(usage.glob("*.jsonl.gz"))
    unread = {
        "usage/dt=2026-02-30/gw-0.jsonl.gz": some_file.read_bytes(),
        f"usage/{usage.name}/retry/gw-0.jsonl.gz": some_file.read_bytes(),
        f"deploys/{deploys.name}/notes.txt": b"shipped it\n",
    }
    for relative, data in unread.items():
        (landing / relative).parent.mkdir(parents=True, exist_ok=True)
        (landing / relative).write_bytes(data)
    os.symlink(landing / "gone.jsonl.gz", usage / "gw-link.jsonl.gz")
    return {*unread, f"usage/{usage.name}/gw-link.jsonl.gz", "_truth.json"}


def previous_serving_file(tmp_path: Path) -> Path:
    """A serving file as an earlier run would have left it."""
    work = tmp_path / "earlier.work.duckdb"
    con = duckdb.connect(str(work))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.earlier AS SELECT 42 AS answer")
    con.close()
    serving = tmp_path / "serving" / "warehouse.duckdb"
    publish(work, serving)
    return serving


def physical_lines(data: bytes) -> int:
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def test_pipeline_survives_random_mutations(tmp_path, capfd):
    rng = random.Random(SEED)
    landing = tmp_path / "landing"
    generated_landing(
        landing,
        employees=12,
        days=DAYS,
        seed=SEED % 10_000,
        requests_per_dev_day=30.0,
        bad_rate=0.02,
    )
    applied = mutate(landing, rng, MUTATIONS)
    unread = add_odd_files(landing)
    serving = previous_serving_file(tmp_path)
    before = serving.read_bytes()
    capfd.readouterr()

    code = main(["run", "--landing", str(landing), "--warehouse", str(serving)])

    out, err = capfd.readouterr()
    context = f"seed {SEED}, mutations {dict(applied)}"
    assert sum(applied.values()) >= 1000, context
    assert code in (0, 1), f"{context}: exit {code}\n{out}\n{err}"
    for trace in ("Traceback", "Stack Trace"):
        assert trace not in out + err, f"{context}\n{out}\n{err}"

    work = duckdb.connect(str(work_path_for(serving)), read_only=True)
    try:
        files = {
            row[0]: row[1:]
            for row in work.execute(
                "SELECT source_file, file_status, table_name, lines_read, rows_loaded, "
                "rows_quarantined, reason FROM raw.landing_files"
            ).fetchall()
        }
        # every file below the root is accounted for, read or not
        delivered = {
            p.relative_to(landing).as_posix()
            for p in landing.rglob("*")
            if p.is_file() or p.is_symlink()
        }
        assert set(files) == delivered, context
        ignored = {f for f, row in files.items() if row[0] == "ignored"}
        assert ignored == unread, context
        assert f"files not read       files {len(ignored):>5}" in out, out

        present = dict(
            work.execute(
                "SELECT source_file, count(*) FROM ("
                " SELECT source_file FROM raw.usage_requests UNION ALL"
                " SELECT source_file FROM raw.deploy_records UNION ALL"
                " SELECT source_file FROM raw.roster_snapshots UNION ALL"
                " SELECT source_file FROM raw.price_book UNION ALL"
                " SELECT source_file FROM raw.contracts UNION ALL"
                " SELECT source_file FROM raw.provider_cost_results) GROUP BY ALL"
            ).fetchall()
        )
        rejected = dict(
            work.execute(
                "SELECT source_file, count(*) FROM raw.quarantined_records "
                "WHERE line_number IS NOT NULL GROUP BY ALL"
            ).fetchall()
        )
        for name, (status, _, read, loaded, quarantined, reason) in files.items():
            assert read == loaded + quarantined, f"{context}: {name}"
            assert present.get(name, 0) == loaded, f"{context}: {name}"
            assert rejected.get(name, 0) == quarantined, f"{context}: {name}"
            if status == "loaded" and name.startswith("usage/"):
                data = gzip.decompress((landing / name).read_bytes())
                assert read == physical_lines(data), f"{context}: {name}"
            if status != "loaded":
                assert reason, f"{context}: {name} is {status} without a reason"

        # nothing odd got through: no NULL or huge count, no early or corrupt time
        bad_rows = work.execute(
            f"""
            SELECT count(*) FROM raw.usage_requests
            WHERE NOT (input_tokens BETWEEN 0 AND {MAX_COUNT}
                AND output_tokens BETWEEN 0 AND {MAX_COUNT}
                AND cache_creation_input_tokens BETWEEN 0 AND {MAX_COUNT}
                AND cache_read_input_tokens BETWEEN 0 AND {MAX_COUNT}
                AND coalesce(latency_ms, 0) BETWEEN 0 AND {MAX_COUNT}
                AND requested_at >= ? AND CAST(requested_at AS DATE) <= dt + 1)
               OR request_id IS NULL OR user_email IS NULL
            """,
            [partitions_start()],
        ).fetchone()[0]
        assert bad_rows == 0, context
        replaced = work.execute(
            "SELECT count(*) FROM raw.quarantined_records WHERE raw_text LIKE '%\ufffd%'"
        ).fetchone()[0]
        assert replaced == 0, context
        published = {
            f"{s}.{t}": work.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]
            for s, t in work.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE schema_name IN ('marts', 'restricted', 'audit')"
            ).fetchall()
        }
    finally:
        work.close()

    if code == 1:
        assert serving.read_bytes() == before, f"{context}: a failed run changed the serving file"
        return
    assert serving.read_bytes() != before
    con = duckdb.connect(str(serving), read_only=True)
    try:
        assert not con.execute(
            "SELECT * FROM duckdb_tables() WHERE table_name = 'earlier'"
        ).fetchall()
        for name, rows in published.items():
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == rows, name
        assert con.execute(
            "SELECT count(*) FROM audit.landing_files WHERE file_status = 'ignored'"
        ).fetchone()[0] == len(unread)
    finally:
        con.close()
