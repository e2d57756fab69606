"""The gaming signals respond to what they measure and to nothing else, on the
conformance case: ten times the tokens of a developer moves no
normalized-deployment figure, and one change split into ten with the same total
lines raises normalized_deployments_28d and makes its author a change-splitting
suspect once the rule says so (ten deployments against the Geo peers' median
of one, 1.1 lines per deployment against their median of 11).

Marked slow: three dbt builds of the compared tables.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.dbt._dbt import BUILD_DATA, CONFORMANCE_DIR, extract_landing, run_dbt_ok

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_signal_invariance")]

HEAVIER = "goran@maps-ads.example"  # p107, Geo
SPLITTER, SPLIT_CHANGE, SPLIT_DEPLOYMENT = "p106", "K5", "x8"  # one 10 + 1 line change
USAGE_COUNTS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
# every column that counts normalized deployments or is derived from them only
DEPLOYMENT_FIGURES = {
    "marts.fct_normalized_deployments": "*",
    "marts.team_weekly_metrics": (
        "week_start, team_id, normalized_deployments, ai_assisted_normalized_deployments, "
        "normalized_deployments_per_developer, delivered_changes"
    ),
    "restricted.developer_signals_daily": (
        "signal_date, employee_id, normalized_deployments_28d, "
        "peer_median_normalized_deployments_28d, lines_changed_28d, lines_per_deployment_28d, "
        "peer_median_lines_per_deployment_28d, splitting_peer_median_normalized_deployments_28d, "
        "is_change_splitting_suspect"
    ),
}
# the compared tables, their parents and the data tests of all of them, with
# the dimensions those tests' relationships point to
SELECT = ["+" + table.split(".")[1] for table in DEPLOYMENT_FIGURES] + [
    "dim_teams",
    "dim_employees",
]


def _copy_landing(target: Path) -> Path:
    shutil.copytree(CONFORMANCE_DIR / "landing", target)
    # a header-only export (a quiet day) holds no deployment; dropping it keeps
    # this test about the signals, whatever extraction makes of empty files
    for path in (target / "deploys").rglob("*.csv"):
        if len(path.read_text(encoding="utf-8", errors="replace").splitlines()) <= 1:
            path.unlink()
    return target


def _build(work: Path, landing: Path) -> Path:
    db = work / "work.duckdb"
    extract_landing(landing, db)
    run_dbt_ok([*BUILD_DATA, "--select", *SELECT], work, db)
    return db


def _tokens_times_ten(landing: Path, email: str) -> int:
    """Multiply the usage counts of every valid line of `email` by 10; returns lines changed."""
    changed = 0
    for path in (landing / "usage").rglob("*.jsonl.gz"):
        out = []
        for raw in gzip.decompress(path.read_bytes()).split(b"\n"):
            try:
                record = json.loads(raw)
            except ValueError:
                out.append(raw)
                continue
            usage = record.get("usage") if isinstance(record, dict) else None
            counts = [usage.get(k) for k in USAGE_COUNTS] if isinstance(usage, dict) else []
            mine = str(record.get("user_email", "")).lower() == email if counts else False
            if mine and all(type(c) is int and 0 <= c < 10**11 for c in counts):
                for key in USAGE_COUNTS:
                    usage[key] *= 10
                if isinstance(usage.get("cache_creation"), dict):
                    for key, value in usage["cache_creation"].items():
                        if type(value) is int:
                            usage["cache_creation"][key] = value * 10
                raw = json.dumps(record).encode()
                changed += 1
            out.append(raw)
        path.write_bytes(gzip.compress(b"\n".join(out), mtime=0))
    return changed


def _split_change(landing: Path) -> None:
    """Change K5 (10 + 1 lines) becomes ten changes of 2, 1, 1, … lines (11 in all)."""
    for path in (landing / "deploys").rglob("*.csv"):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        if f",{SPLIT_CHANGE}," not in text:
            continue
        rows = list(csv.reader(io.StringIO(text)))
        header, body = rows[0], rows[1:]
        col = {name: i for i, name in enumerate(header)}
        out = [header]
        for row in body:
            if len(row) == len(header) and row[col["deployment_id"]] == SPLIT_DEPLOYMENT:
                first = list(row)
                first[col["lines_added"]], first[col["lines_deleted"]] = "1", "1"
                out.append(first)
                for k in range(1, 10):
                    piece = list(row)
                    piece[col["deployment_id"]] = f"{SPLIT_DEPLOYMENT}s{k}"
                    piece[col["change_id"]] = f"{SPLIT_CHANGE}s{k}"
                    piece[col["lines_added"]], piece[col["lines_deleted"]] = "1", "0"
                    out.append(piece)
            else:
                out.append(row)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(out)
        path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogateescape")
        return
    raise AssertionError(f"change {SPLIT_CHANGE} not found in the conformance deploys")


def _rows(db: Path, table: str, columns: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


def _signals(db: Path, employee_id: str) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT signal_date, tokens_28d, normalized_deployments_28d, lines_changed_28d, "
            "is_change_splitting_suspect FROM restricted.developer_signals_daily "
            "WHERE employee_id = ? ORDER BY signal_date",
            [employee_id],
        ).fetchall()
    finally:
        con.close()
    return {str(r[0]): r[1:] for r in rows}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    work = tmp_path_factory.mktemp("baseline")
    return _build(work, _copy_landing(work / "landing"))


def test_ten_times_the_tokens_moves_no_normalized_deployment_figure(baseline, tmp_path):
    landing = _copy_landing(tmp_path / "landing")
    assert _tokens_times_ten(landing, HEAVIER) > 0
    heavier = _build(tmp_path, landing)

    before, after = _signals(baseline, "p107"), _signals(heavier, "p107")
    assert any(after[d][0] == 10 * before[d][0] > 0 for d in before), "tokens did not grow"
    for table, columns in DEPLOYMENT_FIGURES.items():
        assert _rows(heavier, table, columns) == _rows(baseline, table, columns), table


def test_splitting_a_change_in_ten_raises_deployments_and_flags_the_splitter(baseline, tmp_path):
    landing = _copy_landing(tmp_path / "landing")
    _split_change(landing)
    split = _build(tmp_path, landing)

    before, after = _signals(baseline, SPLITTER), _signals(split, SPLITTER)
    day = "2026-04-22"  # K5 (delivered 2026-04-09) is inside the 28-day window
    tokens, deployments, lines, suspect = before[day]
    assert (deployments, lines, suspect) == (1, 11, False)
    assert after[day] == (tokens, deployments + 9, lines, True)
    # before delivery nothing changes
    assert after["2026-04-08"] == before["2026-04-08"]
