"""GitHub Copilot user-days and the identity map: loaded or quarantined with
the contract's reasons, duplicates kept for dbt, partitions and the reference
file replaced idempotently."""

import datetime as dt
import json
import shutil

import duckdb

from orchestration.extract import COPILOT, IDENTITIES, load_reference
from orchestration.extract.store import (
    COPILOT_COLUMNS,
    COPILOT_TABLE,
    IDENTITIES_COLUMNS,
    IDENTITIES_TABLE,
)
from orchestration.landing import LandingZone
from tests.extract_helpers import day_loader, quarantined
from tests.landing_builder import write_text
from tests.litellm_copilot_builder import (
    COPILOT_FIXTURE,
    IDENTITIES_FIXTURE,
    copilot_row,
    fixture_rows,
    without,
    write_lines,
)

DAY = "2026-04-07"
HEADER = "employee_id,identity_type,identity_value,effective_from,effective_to"


load = day_loader(COPILOT, DAY)


def write(root, lines, name="users-1-day.ndjson.gz", day=DAY):
    return write_lines(root, "copilot", day, name, lines)


def test_the_sources_fill_exactly_the_raw_contract_columns():
    assert (COPILOT.table, IDENTITIES.table) == (COPILOT_TABLE, IDENTITIES_TABLE)
    assert sorted(COPILOT.raw_columns) == sorted(COPILOT_COLUMNS)
    assert sorted(IDENTITIES.raw_columns) == sorted(IDENTITIES_COLUMNS)


def test_fixture_report_loads_every_user_day_with_its_breakdowns(con, tmp_path):
    shutil.copytree(COPILOT_FIXTURE.parent, tmp_path / "copilot" / f"dt={DAY}")

    result = load(con, tmp_path)

    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (4, 4, 0)
    rows = con.execute(
        "SELECT user_login, day, user_initiated_interaction_count, "
        "code_generation_activity_count, code_acceptance_activity_count, loc_added_sum, "
        f"used_agent, used_chat, breakdowns FROM raw.{COPILOT_TABLE} ORDER BY line_number"
    ).fetchall()
    assert [r[:8] for r in rows] == [
        ("amara-mapsads", dt.date(2026, 4, 6), 6, 14, 5, 63, False, True),
        ("bo-dev", dt.date(2026, 4, 6), 4, 9, 0, 212, True, False),
        ("chen-w", dt.date(2026, 4, 6), 0, 7, 3, 19, False, False),
        ("dara-k", dt.date(2026, 4, 6), 0, 0, 0, 0, False, False),
    ]
    delivered = fixture_rows(COPILOT_FIXTURE)
    for row, original in zip(rows, delivered, strict=True):
        breakdowns = json.loads(row[8])
        # every breakdown delivered, as delivered; totals_by_cli only where used
        assert breakdowns == {k: v for k, v in original.items() if k.startswith("totals_by_")}
    assert "totals_by_cli" in json.loads(rows[3][8])
    assert "totals_by_cli" not in json.loads(rows[0][8])
    # Copilot reports no requests: nothing for the usage model to rebuild
    assert con.execute("SELECT count(*) FROM raw.usage_days_to_rebuild").fetchone() == (0,)


BAD_LINES = [
    ('{"day": "2026-04-06", "user_login": ', "invalid_json"),
    ("", "invalid_json"),
    (copilot_row(None), "missing_field"),
    (without(copilot_row("no-day"), "day"), "missing_field"),
    (without(copilot_row("no-count"), "user_initiated_interaction_count"), "missing_field"),
    (copilot_row("str-count", user_initiated_interaction_count="6"), "wrong_type"),
    (copilot_row("float-loc", loc_added_sum=6.5), "wrong_type"),
    (copilot_row("str-bool", used_chat="true"), "wrong_type"),
    (copilot_row("num-day", day=20260406), "wrong_type"),
    (copilot_row("object-ide", totals_by_ide={"ide": "vscode"}), "wrong_type"),
    (copilot_row("text-ide", totals_by_ide="vscode"), "wrong_type"),
    (copilot_row("array-cli", totals_by_cli=[]), "wrong_type"),
    (copilot_row("neg-loc", loc_added_sum=-1), "negative_count"),
    (copilot_row("huge", code_generation_activity_count=10**13), "out_of_range"),
    (copilot_row("feb-30", day="2026-02-30"), "invalid_value"),
    (copilot_row("us-date", day="04/06/2026"), "invalid_value"),
    (copilot_row("ancient", day="2024-12-31"), "timestamp_before_partitions"),
    (copilot_row("future", day="2026-04-09"), "timestamp_after_delivery"),
]


def test_each_bad_line_is_quarantined_with_its_reason_and_good_lines_load(con, tmp_path):
    good = [
        copilot_row("ok-1"),
        copilot_row("ok-late", day="2026-04-04"),
        copilot_row("ok-next-day", day="2026-04-08"),
        # flags and breakdowns are optional; unknown fields are ignored
        without(copilot_row("ok-sparse", new_field=1), "used_agent", "totals_by_ide"),
    ]
    lines = [good[0], *(line for line, _ in BAD_LINES), *good[1:]]
    write(tmp_path, lines)

    result = load(con, tmp_path)

    assert quarantined(con, "copilot") == [
        (f"copilot/dt={DAY}/users-1-day.ndjson.gz", i + 2, reason)
        for i, (_, reason) in enumerate(BAD_LINES)
    ]
    assert con.execute(
        f"SELECT user_login, day, used_agent FROM raw.{COPILOT_TABLE} ORDER BY line_number"
    ).fetchall() == [
        ("ok-1", dt.date(2026, 4, 6), False),
        ("ok-late", dt.date(2026, 4, 4), False),
        ("ok-next-day", dt.date(2026, 4, 8), False),
        ("ok-sparse", dt.date(2026, 4, 6), None),
    ]
    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (
        len(lines),
        len(good),
        len(BAD_LINES),
    )
    # the quarantine keys a rejected user-day by its login
    assert con.execute(
        "SELECT record_key FROM raw.quarantined_records WHERE reason = 'negative_count'"
    ).fetchone() == ("neg-loc",)


def test_duplicate_user_days_are_all_loaded_for_dbt_to_pick_the_last(con, tmp_path):
    write(tmp_path, [copilot_row("ada", user_initiated_interaction_count=1)], name="a.ndjson")
    write(tmp_path, [copilot_row("ada", user_initiated_interaction_count=2)], name="b.ndjson.gz")
    write(
        tmp_path,
        [copilot_row("ada", user_initiated_interaction_count=3)],
        name="a.ndjson",
        day="2026-04-08",
    )
    load(con, tmp_path)
    load(con, tmp_path, "2026-04-08")
    assert con.execute(
        f"SELECT source_file, line_number, day, user_initiated_interaction_count "
        f"FROM raw.{COPILOT_TABLE} ORDER BY source_file"
    ).fetchall() == [
        ("copilot/dt=2026-04-07/a.ndjson", 1, dt.date(2026, 4, 6), 1),
        ("copilot/dt=2026-04-07/b.ndjson.gz", 1, dt.date(2026, 4, 6), 2),
        ("copilot/dt=2026-04-08/a.ndjson", 1, dt.date(2026, 4, 6), 3),
    ]


def _snapshot(con, table):
    return {
        t: con.execute(f"SELECT * FROM raw.{t} ORDER BY ALL").fetchall()
        for t in (table, "quarantined_records", "landing_files")
    }


def test_redelivery_and_correction_replace_the_partition(con, tmp_path):
    write(tmp_path, [copilot_row("ada"), copilot_row("bo"), "not json"])
    load(con, tmp_path)
    once = _snapshot(con, COPILOT_TABLE)
    load(con, tmp_path)
    assert _snapshot(con, COPILOT_TABLE) == once

    # The report for the day re-downloaded: bo's day corrected, ada's gone.
    write(tmp_path, [copilot_row("bo", loc_added_sum=99)])
    load(con, tmp_path)
    assert con.execute(f"SELECT user_login, loc_added_sum FROM raw.{COPILOT_TABLE}").fetchall() == [
        ("bo", 99)
    ]
    assert quarantined(con, "copilot") == []
    fresh = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    fresh.execute("SET TimeZone = 'UTC'")
    load(fresh, tmp_path)
    assert _snapshot(con, COPILOT_TABLE) == _snapshot(fresh, COPILOT_TABLE)


def load_identities(con, root):
    return load_reference(con, LandingZone(str(root)), IDENTITIES)


def test_identity_map_fixture_loads_with_types_lowercased_and_values_as_delivered(con, tmp_path):
    shutil.copy(IDENTITIES_FIXTURE, write_text(tmp_path, "reference/identities.csv", ""))

    result = load_identities(con, tmp_path)

    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (10, 10, 0)
    rows = con.execute(
        "SELECT line_number, employee_id, identity_type, identity_value, effective_from, "
        f"effective_to FROM raw.{IDENTITIES_TABLE} ORDER BY line_number"
    ).fetchall()
    assert {r[2] for r in rows} == {
        "email",
        "github_login",
        "claude_account",
        "litellm_user",
        "litellm_api_key",
    }
    assert rows[6] == (
        8,
        "p102",
        "email",
        "bo.personal@maps-ads.example",
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 1),
    )
    # trimming and case folding are the identity resolution's (dbt), not extraction's
    assert rows[7][3] == " Chen-W "


def test_identity_rows_are_quarantined_with_their_reasons(con, tmp_path):
    rows = [
        "p1,github_login,ada-l,2026-01-01,",  # 2 ok
        "p1,GitHub_Login,ada-l2,2026-01-01,2026-03-01",  # 3 ok: types compare lower-cased
        "p2,slack_handle,bo,2026-01-01,",  # 4 unknown identity type
        ",email,x@maps-ads.example,2026-01-01,",  # 5 no employee
        "p3,email,,2026-01-01,",  # 6 no value
        "p4,email,d@maps-ads.example,2026-1-1,",  # 7 not a date
        "p5,email,e@maps-ads.example,2026-04-01,2026-04-01",  # 8 empty interval
        "p6,email,f@maps-ads.example,2026-01-01",  # 9 a field short
    ]
    write_text(tmp_path, "reference/identities.csv", "\n".join([HEADER, *rows]) + "\n")

    result = load_identities(con, tmp_path)

    assert quarantined(con, "reference") == [
        ("reference/identities.csv", 4, "invalid_value"),
        ("reference/identities.csv", 5, "missing_field"),
        ("reference/identities.csv", 6, "missing_field"),
        ("reference/identities.csv", 7, "invalid_value"),
        ("reference/identities.csv", 8, "inconsistent_value"),
        ("reference/identities.csv", 9, "wrong_field_count"),
    ]
    assert con.execute(
        f"SELECT identity_type, identity_value FROM raw.{IDENTITIES_TABLE} ORDER BY line_number"
    ).fetchall() == [("github_login", "ada-l"), ("github_login", "ada-l2")]
    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (8, 2, 6)


def test_identity_map_is_replaced_whole_and_a_missing_file_empties_it(con, tmp_path):
    path = write_text(tmp_path, "reference/identities.csv", f"{HEADER}\np1,email,a@x,2026-01-01,\n")
    load_identities(con, tmp_path)
    load_identities(con, tmp_path)
    assert con.execute(f"SELECT count(*) FROM raw.{IDENTITIES_TABLE}").fetchone() == (1,)

    write_text(tmp_path, "reference/identities.csv", "employee_id,identity_value\np1,a@x\n")
    result = load_identities(con, tmp_path)
    assert result.files_quarantined == 1
    assert quarantined(con, "reference") == [("reference/identities.csv", None, "missing_header")]
    assert con.execute(f"SELECT count(*) FROM raw.{IDENTITIES_TABLE}").fetchone() == (0,)

    path.unlink()
    result = load_identities(con, tmp_path)
    assert result.notes == ["reference/identities.csv is missing: identities is empty"]
    assert quarantined(con, "reference") == []
