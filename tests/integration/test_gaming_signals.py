"""On a generated organisation with planted gaming and its look-alikes, the
gaming signals find the planted gamers on the last covered day, flag none of
the power users or busy shippers with agents, and the run still publishes.

Prints the recall and precision figures (run with -s to see them).
"""

from __future__ import annotations

import pytest

from orchestration.cli import main
from orchestration.report import headline
from tests.duckdb_files import query
from tests.generated_org import generated_landing

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("gaming_signals")]

# two orgs of ~55 developers, 35 days so the last day has a full 28-day window
EMPLOYEES, DAYS, RPD, SEED = 150, 35, 3.0, 11


@pytest.fixture(scope="module")
def organisation(tmp_path_factory):
    root = tmp_path_factory.mktemp("gaming")
    truth = generated_landing(
        root / "landing",
        employees=EMPLOYEES,
        days=DAYS,
        seed=SEED,
        requests_per_dev_day=RPD,
        bad_rate=0.01,
    )
    warehouse = root / "warehouse.duckdb"
    code = main(["run", "--landing", str(root / "landing"), "--warehouse", str(warehouse)])
    return truth, warehouse, code


def _flagged(warehouse) -> tuple[set[str], set[str]]:
    rows = query(
        warehouse,
        """
        SELECT employee_id, is_tokenmaxxing_suspect, is_change_splitting_suspect
        FROM restricted.developer_signals_daily
        WHERE signal_date = (SELECT max(signal_date) FROM restricted.developer_signals_daily)
        """,
    )
    return {e for e, tm, _ in rows if tm}, {e for e, _, cs in rows if cs}


def _figures(flagged: set[str], planted: set[str]) -> tuple[float, float]:
    hits = len(flagged & planted)
    recall = hits / len(planted) if planted else 1.0
    precision = hits / len(flagged) if flagged else 1.0
    return recall, precision


def test_planted_gamers_are_flagged_and_the_run_publishes(organisation):
    truth, warehouse, code = organisation
    assert code == 0, "a planted gamer must be a finding, not a blocked publish"
    planted = truth["planted"]
    above = set(truth["tokenmaxxer_ids"]) | set(planted["subtle_tokenmaxxer_above_ids"])
    splitters = set(planted["change_splitter_ids"])
    power = set(planted["power_user_ids"])
    shippers = set(planted["agent_shipper_ids"])
    assert above and splitters and power and shippers, planted

    tokenmaxxers, splitting = _flagged(warehouse)
    tm_recall, tm_precision = _figures(tokenmaxxers, above)
    cs_recall, cs_precision = _figures(splitting, splitters)
    print(
        f"\ntokenmaxxing: {len(above)} planted above the line, {len(tokenmaxxers)} flagged, "
        f"recall {tm_recall:.2f}, precision {tm_precision:.2f}; "
        f"below the line flagged {len(tokenmaxxers & set(planted['subtle_tokenmaxxer_below_ids']))}"
        f"/{len(planted['subtle_tokenmaxxer_below_ids'])}; "
        f"power users flagged {len((tokenmaxxers | splitting) & power)}/{len(power)}; "
        f"busy shippers with agents flagged {len((tokenmaxxers | splitting) & shippers)}"
        f"/{len(shippers)}\n"
        f"change splitting: {len(splitters)} planted, {len(splitting)} flagged, "
        f"recall {cs_recall:.2f}, precision {cs_precision:.2f}"
    )
    assert tm_recall >= 0.95 and tm_precision >= 0.90
    assert cs_recall >= 0.95 and cs_precision >= 0.90
    assert not (tokenmaxxers | splitting) & power
    assert not (tokenmaxxers | splitting) & shippers


def test_cohorts_and_both_signals_reach_the_headline(organisation):
    _, warehouse, _ = organisation
    cohorts = query(
        warehouse,
        "SELECT cohort, sum(developers), bool_and(is_suppressed) FROM marts.ai_cohort_weekly "
        "GROUP BY cohort",
    )
    assert {c for c, _, _ in cohorts} == {"none", "light", "moderate", "heavy"}
    assert not any(suppressed for c, _, suppressed in cohorts if c != "none")

    text = headline(warehouse)
    assert "Change-splitting suspects (on " in text
    assert "Is AI worth it?" in text and "heavy" in text
