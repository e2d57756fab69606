"""Deploys, roster and reference files: strict CSV with physical line numbers."""

import datetime as dt

from orchestration.extract import (
    CONTRACTS,
    DEPLOYS,
    PRICE_BOOK,
    load_partition,
    load_reference,
    load_roster,
)
from orchestration.landing import LandingZone
from tests.landing_builder import (
    DEPLOY_HEADER,
    ROSTER_HEADER,
    deploy_row,
    write_deploys,
    write_text,
)

DAY = "2026-04-07"


def quarantined(con, source):
    return con.execute(
        "SELECT line_number, reason FROM raw.quarantined_records WHERE source = ? ORDER BY line_number",
        [source],
    ).fetchall()


def test_deploy_rows_are_loaded_or_quarantined_with_reasons(con, tmp_path):
    rows = [
        deploy_row("ok-1"),  # line 2
        deploy_row("bad-env", environment="qa-cluster"),  # 3
        deploy_row("bad-status", status="done"),  # 4
        deploy_row("zero-attempt", attempt="0"),  # 5
        deploy_row("text-attempt", attempt="two"),  # 6
        deploy_row("neg-lines", lines_added="-3"),  # 7
        deploy_row("bad-bool", ai_assisted="maybe"),  # 8
        deploy_row("no-change", change_id=""),  # 9
        deploy_row("bad-ts", started_at="07/04/2026 10:00"),  # 10
        deploy_row("future", finished_at="2026-04-10T00:00:00Z"),  # 11
        deploy_row("ok-2", environment="Production", finished_at="", status="in_progress"),  # 12
        "too,few,fields",  # 13
        deploy_row("ok-3") + ",extra",  # 14
    ]
    write_deploys(tmp_path, DAY, "cd.csv", rows)

    result = load_partition(con, LandingZone(str(tmp_path)), DEPLOYS, dt.date(2026, 4, 7))

    assert quarantined(con, "deploys") == [
        (3, "invalid_value"),
        (4, "invalid_value"),
        (5, "invalid_value"),
        (6, "wrong_type"),
        (7, "negative_count"),
        (8, "wrong_type"),
        (9, "missing_field"),
        (10, "invalid_timestamp"),
        (11, "timestamp_after_delivery"),
        (13, "wrong_field_count"),
        (14, "wrong_field_count"),
    ]
    loaded = con.execute(
        "SELECT deployment_id, environment, finished_at, rollback_of, ai_assisted FROM raw.deploy_records ORDER BY line_number"
    ).fetchall()
    assert loaded == [
        ("ok-1", "production", dt.datetime(2026, 4, 7, 10, 10), None, True),
        ("ok-2", "production", None, None, True),
    ]
    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (13, 2, 11)


def test_quoted_newline_keeps_physical_line_numbers(con, tmp_path):
    rows = [deploy_row("a", service='"multi\nline"'), deploy_row("b", environment="nowhere")]
    write_deploys(tmp_path, DAY, "cd.csv", rows)
    load_partition(con, LandingZone(str(tmp_path)), DEPLOYS, dt.date(2026, 4, 7))
    assert con.execute(
        "SELECT deployment_id, line_number, service FROM raw.deploy_records"
    ).fetchall() == [("a", 2, "multi\nline")]
    assert quarantined(con, "deploys") == [(4, "invalid_value")]


def test_header_by_name_and_missing_header_faults_the_file(con, tmp_path):
    columns = DEPLOY_HEADER.split(",")
    reordered = ",".join(reversed(columns))
    values = dict(zip(columns, deploy_row("rev").split(","), strict=True))
    write_deploys(
        tmp_path,
        DAY,
        "a-reordered.csv",
        [",".join(values[c] for c in reversed(columns))],
        header=reordered,
    )
    write_deploys(
        tmp_path, DAY, "b-noheader.csv", [deploy_row("x")], header="deployment_id,change_id"
    )
    write_text(tmp_path, f"deploys/dt={DAY}/c-empty.csv", "")

    result = load_partition(con, LandingZone(str(tmp_path)), DEPLOYS, dt.date(2026, 4, 7))

    assert con.execute("SELECT deployment_id FROM raw.deploy_records").fetchall() == [("rev",)]
    assert con.execute(
        "SELECT source_file, line_number, reason FROM raw.quarantined_records ORDER BY 1"
    ).fetchall() == [
        ("deploys/dt=2026-04-07/b-noheader.csv", None, "missing_header"),
        ("deploys/dt=2026-04-07/c-empty.csv", None, "missing_header"),
    ]
    assert result.files_quarantined == 2


def roster_line(employee_id="p1", **overrides):
    row = dict(
        zip(
            ROSTER_HEADER.split(","),
            [
                employee_id,
                f"{employee_id}@example.com",
                "Ada",
                "software_engineer",
                "L4",
                "t1",
                "Team",
                "Org",
                "m1",
                "Dublin",
                "active",
                "2025-01-01",
                "",
                "150000",
            ],
            strict=True,
        )
    )
    row.update(overrides)
    return ",".join(row.values())


def test_roster_snapshots_load_and_unchanged_files_are_not_reread(con, tmp_path):
    write_text(
        tmp_path,
        "roster/roster_2026-04-06.csv",
        "\n".join([ROSTER_HEADER, roster_line("p1"), roster_line("p2", job_family="astronaut")])
        + "\n",
    )
    write_text(
        tmp_path,
        "roster/roster_2026-04-07.csv",
        "\n".join([ROSTER_HEADER, roster_line("p1", team_id="t2")]) + "\n",
    )
    write_text(tmp_path, "roster/roster-latest.csv", ROSTER_HEADER + "\n")
    zone = LandingZone(str(tmp_path))

    first = load_roster(con, zone)
    assert con.execute(
        "SELECT snapshot_date, employee_id, team_id FROM raw.roster_snapshots ORDER BY 1"
    ).fetchall() == [
        (dt.date(2026, 4, 6), "p1", "t1"),
        (dt.date(2026, 4, 7), "p1", "t2"),
    ]
    assert con.execute(
        "SELECT source_file, line_number, reason FROM raw.quarantined_records ORDER BY 1"
    ).fetchall() == [
        ("roster/roster-latest.csv", None, "bad_file_name"),
        ("roster/roster_2026-04-06.csv", 3, "invalid_value"),
    ]

    # A changed snapshot is replaced, a vanished one forgotten, the rest untouched.
    write_text(
        tmp_path,
        "roster/roster_2026-04-07.csv",
        "\n".join([ROSTER_HEADER, roster_line("p1", team_id="t3")]) + "\n",
    )
    (tmp_path / "roster" / "roster_2026-04-06.csv").unlink()
    second = load_roster(con, zone)
    assert con.execute("SELECT snapshot_date, team_id FROM raw.roster_snapshots").fetchall() == [
        (dt.date(2026, 4, 7), "t3")
    ]
    assert [
        r[1]
        for r in con.execute("SELECT source_file, reason FROM raw.quarantined_records").fetchall()
    ] == ["bad_file_name"]
    assert first.rows_loaded == 2 and second.rows_loaded == 1


def test_reference_files(con, tmp_path):
    write_text(
        tmp_path,
        "reference/price_book.csv",
        "model,token_type,usd_per_mtok,effective_from,effective_to\n"
        "m,input,3.0,2026-01-01,\n"
        "m,output,-1,2026-01-01,\n"
        "m,thinking,1,2026-01-01,\n"
        "m,cache_read,0.3,01/01/2026,\n",
    )
    zone = LandingZone(str(tmp_path))
    prices = load_reference(con, zone, PRICE_BOOK)
    missing = load_reference(con, zone, CONTRACTS)
    assert con.execute(
        "SELECT model, token_type, usd_per_mtok, effective_to FROM raw.price_book"
    ).fetchall() == [("m", "input", 3.0, None)]
    assert quarantined(con, "reference") == [
        (3, "invalid_value"),
        (4, "invalid_value"),
        (5, "invalid_value"),
    ]
    assert prices.rows_loaded == 1
    assert missing.files == [] and "contracts.csv is missing" in missing.notes[0]
