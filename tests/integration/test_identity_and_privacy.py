"""Identity and personal data (landing contract, "Identity"), through `aiw run`
on a copy of the conformance case plus the one roster line each test is about:
an email given to two employees attributes to nobody and blocks publishing
with the employee ids named; the serving file's quarantine keeps no personal
data while WORK keeps the lines as read."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from orchestration.cli import main
from orchestration.settings import work_path_for
from tests.conftest import CONFORMANCE
from tests.duckdb_files import query

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("identity_privacy")]

ROSTER = "roster/roster_2026-04-20.csv"
# a new hire on the last snapshot, as the HRIS exports him
NEW_HIRE = (
    "p199,{email},Zed Quist,{family},L3,tc,Maps Core,Geo,p000,Dublin,active,2026-04-20,,123456"
)


def _landing(tmp_path, roster_line: str):
    landing = tmp_path / "landing"
    shutil.copytree(CONFORMANCE / "landing", landing)
    with open(landing / ROSTER, "a") as roster:
        roster.write(roster_line + "\n")
    return landing


def test_an_email_of_two_employees_attributes_to_nobody_and_blocks(tmp_path, capsys):
    # p101's email (other case, spaces) given to a new hire
    landing = _landing(
        tmp_path, NEW_HIRE.format(email=" Amara@Maps-Ads.example ", family="software_engineer")
    )
    warehouse = tmp_path / "warehouse.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 1

    printed = capsys.readouterr()
    assert "emails_belong_to_one_employee" in printed.out
    assert "p101, p199" in printed.out
    assert "amara" not in (printed.out + printed.err).lower()
    assert not warehouse.exists()  # nothing published
    work = work_path_for(warehouse)
    # amara's usage and deployments went to neither claimant
    for fact in ("fct_token_usage_daily", "fct_normalized_deployments"):
        assert query(
            work, f"select count(*) from marts.{fact} where employee_id in ('p101', 'p199')"
        ) == [(0,)]
    assert (
        query(work, "select count(*) from marts.fct_token_usage_daily where employee_id is null")[
            0
        ][0]
        > 0
    )
    detail = query(
        work,
        "select summary from audit.check_results where check_name = 'emails_belong_to_one_employee'",
    )[0][0]
    assert "p101, p199" in detail and "@" not in detail


def test_the_serving_quarantine_keeps_no_personal_data(tmp_path, monkeypatch):
    monkeypatch.setenv("AIW_PSEUDONYM_KEY", "test-key")
    line = NEW_HIRE.format(email="zed.quist@maps-ads.example", family="wizard")
    landing = _landing(tmp_path, line)
    warehouse = tmp_path / "warehouse.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse)]) == 0

    served = query(
        warehouse,
        f"select raw_text, detail from audit.quarantined_records where source_file = '{ROSTER}'",
    )
    assert served == [("employee_id=p199", "job_family")]
    assert query(
        warehouse,
        "select count(*) from audit.quarantined_records "
        "where raw_text like '%@%' or detail like '%@%'",
    ) == [(0,)]
    # a usage line keeps its text with the email pseudonymised by the keyed hash
    pseudonym = "email_" + hashlib.sha256(b"test-key:chen@maps-ads.example").hexdigest()[:16]
    usage_texts = [
        text
        for (text,) in query(
            warehouse,
            "select raw_text from audit.quarantined_records "
            "where source = 'usage' and raw_text like '%user_email%'",
        )
    ]
    assert any(pseudonym in text for text in usage_texts), usage_texts
    # WORK keeps the line as read for data engineers
    assert query(
        work_path_for(warehouse),
        f"select raw_text from raw.quarantined_records where source_file = '{ROSTER}'",
    ) == [(line,)]
