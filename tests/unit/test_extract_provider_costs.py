"""Cost-report pages: strict extraction, amounts kept exact, faults quarantined."""

import datetime as dt
import json
from decimal import Decimal

import duckdb
import pytest

from orchestration.extract import load_provider_costs
from orchestration.landing import LandingZone
from tests.cost_pages import bucket, token_result, web_search_result, write_page

APRIL_1 = dt.date(2026, 4, 1)


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "work.duckdb"))
    yield connection
    connection.close()


def load(con, root):
    return load_provider_costs(con, LandingZone(str(root)))


def test_a_page_loads_every_result_exactly_and_every_bucket(con, tmp_path):
    write_page(
        tmp_path / "landing",
        "2026-04.json",
        [
            bucket(
                APRIL_1,
                [
                    token_result("claude-sonnet-4-5", "uncached_input_tokens", "123.456789012345"),
                    web_search_result("50"),
                ],
            ),
            bucket(APRIL_1 + dt.timedelta(days=1), []),
        ],
    )
    result = load(con, tmp_path / "landing")

    rows = con.execute(
        "SELECT bucket_starting_at, cost_type, model, amount_cents FROM raw.provider_cost_results "
        "ORDER BY result_ordinal"
    ).fetchall()
    assert rows == [
        (dt.datetime(2026, 4, 1), "tokens", "claude-sonnet-4-5", Decimal("123.456789012345")),
        (dt.datetime(2026, 4, 1), "web_search", None, Decimal("50")),
    ]
    assert con.execute("SELECT count(*) FROM raw.provider_cost_buckets").fetchone() == (2,)
    assert (result.lines_read, result.rows_loaded, result.rows_quarantined) == (2, 2, 0)


BAD_PAGES = [
    ("not json at all {", "invalid_json", None),
    (json.dumps({"data": "nope"}), "missing_field", "data"),
    ({"amount": 12.5}, "wrong_type", "data[0].results[1].amount"),
    ({"amount": "12,50"}, "wrong_type", "data[0].results[1].amount"),
    ({"amount": "0.0000000000001"}, "wrong_type", "data[0].results[1].amount"),
    ({"amount": None}, "missing_field", "data[0].results[1].amount"),
    ({"currency": "EUR"}, "invalid_value", "data[0].results[1].currency"),
    ({"cost_type": None}, "missing_field", "data[0].results[1].cost_type"),
    ({"model": None}, "missing_field", "data[0].results[1].model"),
    ({"model": 7}, "wrong_type", "data[0].results[1].model"),
]


@pytest.mark.parametrize(("fault", "reason", "where"), BAD_PAGES)
def test_a_page_with_a_bad_result_is_quarantined_whole_and_others_load(
    con, tmp_path, fault, reason, where
):
    root = tmp_path / "landing"
    good = token_result("claude-sonnet-4-5", "output_tokens", "10")
    if isinstance(fault, str):
        write_page(root, "2026-04-a.json", [], raw=fault)
    else:
        write_page(root, "2026-04-a.json", [bucket(APRIL_1, [good, {**good, **fault}])])
    write_page(root, "2026-04-b.json", [bucket(APRIL_1, [good])])

    result = load(con, root)

    quarantined = con.execute(
        "SELECT source, source_file, line_number, reason, detail FROM raw.quarantined_records"
    ).fetchall()
    assert [q[:4] for q in quarantined] == [
        ("reference", "reference/provider_costs/anthropic/2026-04-a.json", None, reason)
    ]
    if where:
        assert quarantined[0][4].startswith(where)
    # nothing of the bad page is kept; the good page is
    assert con.execute("SELECT DISTINCT source_file FROM raw.provider_cost_results").fetchall() == [
        ("reference/provider_costs/anthropic/2026-04-b.json",)
    ]
    assert con.execute("SELECT DISTINCT source_file FROM raw.provider_cost_buckets").fetchall() == [
        ("reference/provider_costs/anthropic/2026-04-b.json",)
    ]
    assert [f.file_status for f in result.files] == ["quarantined", "loaded"]
    assert all(f.balanced for f in result.files)


def test_reloading_replaces_what_the_pages_loaded(con, tmp_path):
    root = tmp_path / "landing"
    page = write_page(
        root, "2026-04.json", [bucket(APRIL_1, [token_result("m", "output_tokens", "1")])]
    )
    load(con, root)
    page.unlink()
    write_page(
        root, "2026-04-v2.json", [bucket(APRIL_1, [token_result("m", "output_tokens", "2")])]
    )
    load(con, root)
    assert con.execute(
        "SELECT source_file, amount_cents FROM raw.provider_cost_results"
    ).fetchall() == [("reference/provider_costs/anthropic/2026-04-v2.json", Decimal("2"))]
    assert con.execute("SELECT count(*) FROM raw.landing_files").fetchone() == (1,)


def test_pages_are_read_and_other_files_there_are_listed_as_ignored(tmp_path):
    root = tmp_path / "landing"
    write_page(root, "2026-04.json", [bucket(APRIL_1, [])])
    (root / "reference/provider_costs/anthropic/notes.txt").write_text("not a page")
    (root / "reference/provider_costs/openai").mkdir(parents=True)
    (root / "reference/provider_costs/openai/2026-04.json").write_text("{}")
    zone = LandingZone(str(root))
    assert zone.cost_report_pages() == [
        ("anthropic", "reference/provider_costs/anthropic/2026-04.json")
    ]
    ignored = {f.source_file for f in zone.ignored_files()}
    assert ignored == {
        "reference/provider_costs/anthropic/notes.txt",
        "reference/provider_costs/openai/2026-04.json",
    }
