"""The dashboard, as its readers get it: refreshed by the pipeline beside the
serving file, one self-contained HTML file, no personal data in the wide
report, and charts that really draw in a browser."""

from __future__ import annotations

import csv
import html.parser
import json
import re
import shutil

import duckdb
import pytest

from orchestration.cli import main
from orchestration.settings import REPO_ROOT, report_path_for
from tests.browser import CANDIDATES, Chromium, find_chromium
from tests.duckdb_files import table_names

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dashboard")]


@pytest.fixture(scope="module")
def published(tmp_path_factory, organisation_published):
    landing = organisation_published / "landing"
    truth = json.loads((landing / "_truth.json").read_text())
    serving = organisation_published / "warehouse.duckdb"
    restricted = tmp_path_factory.mktemp("dashboard") / "restricted.html"
    assert (
        main(
            [
                "report",
                "--warehouse",
                str(serving),
                "--out",
                str(restricted),
                "--audience",
                "restricted",
            ]
        )
        == 0
    )
    return landing, truth, serving, report_path_for(serving), restricted


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def specs_of(page: str) -> dict[str, dict]:
    found = re.search(r'<script type="application/json" id="aiw-specs">(.*?)</script>', page, re.S)
    assert found, "the page carries its chart specs"
    return json.loads(found.group(1).replace("<\\/", "</"))


def data_rows(spec) -> list[dict]:
    """Every inline data row of a Vega-Lite spec, at any depth."""
    rows = []
    if isinstance(spec, dict):
        if isinstance(spec.get("data"), dict) and "values" in spec["data"]:
            rows += spec["data"]["values"]
        for value in spec.values():
            rows += data_rows(value)
    elif isinstance(spec, list):
        for value in spec:
            rows += data_rows(value)
    return rows


def roster(landing) -> list[dict]:
    people = {}
    for path in sorted((landing / "roster").glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                people[(row["employee_id"], row["work_email"], row["full_name"])] = row
    return list(people.values())


def test_the_pipeline_refreshes_the_dashboard_beside_the_serving_file(published, capsys):
    _, _, serving, report, _ = published
    assert report.name == "warehouse.report.html"
    assert report.stat().st_mtime >= serving.stat().st_mtime
    page = report.read_text(encoding="utf-8")
    assert "Wide audience" in page
    assert len(specs_of(page)) >= 6


def test_the_headline_labels_its_periods_and_points_to_the_dashboard(published):
    _, _, serving, report, _ = published
    out = (serving.parent / "run.out").read_text()
    con = duckdb.connect(str(serving), read_only=True)
    try:
        first, last = con.execute(
            "SELECT min(cost_date), max(cost_date) FROM marts.fct_ai_cost_daily"
        ).fetchone()
    finally:
        con.close()
    assert re.search(r"AI adoption \(week of \d{4}-\d{2}-\d{2}(, provisional)?\) ", out), out
    assert f"Normalized deployments (whole period {first} .. {last})" in out
    assert "Billed cost (whole period)" in out
    assert "A normalized deployment is a change that reached production" in out
    assert "restricted.developer_signals_daily" in out  # where the suspects are
    assert f"Dashboard: {report} " in out
    assert "Step seconds" not in out  # developer timings only with --verbose


def test_the_report_is_one_self_contained_file(published):
    _, _, _, report, restricted = published
    for path in (report, restricted):
        page = path.read_text(encoding="utf-8")
        parser = _Tags()
        parser.feed(page)
        scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
        assert scripts and not any("src" in attrs for attrs in scripts), "no script is fetched"
        assert not [tag for tag, attrs in parser.tags if tag == "link"], "no stylesheet is fetched"
        hrefs = [attrs["href"] for _, attrs in parser.tags if "href" in attrs]
        assert all(h.startswith("#") for h in hrefs), hrefs
        assert [tag for tag, attrs in parser.tags if "src" in attrs] == []
        # The Vega libraries themselves are inside the file.
        assert "window.vegaEmbed=" in page


def test_the_wide_report_names_no_one(published):
    landing, _, serving, report, restricted = published
    wide = report.read_text(encoding="utf-8").lower()
    people = roster(landing)
    assert len(people) >= 90
    leaks = [
        value
        for person in people
        for value in (person["employee_id"], person["work_email"], person["full_name"])
        if value and value.lower() in wide
    ]
    assert leaks == []
    # The same grep finds the suspects in the restricted report, so it can fail.
    con = duckdb.connect(str(serving), read_only=True)
    try:
        suspects = [
            r[0]
            for r in con.execute(
                "SELECT employee_id FROM restricted.developer_signals_daily "
                "WHERE is_tokenmaxxing_suspect AND signal_date = "
                "(SELECT max(signal_date) FROM restricted.developer_signals_daily)"
            ).fetchall()
        ]
    finally:
        con.close()
    assert suspects, "the generated organisation has a tokenmaxxer"
    page = restricted.read_text(encoding="utf-8")
    assert all(s in page for s in suspects)


def test_the_wide_report_shows_no_team_week_below_the_minimum_group_size(published):
    _, _, serving, report, restricted = published
    con = duckdb.connect(str(serving), read_only=True)
    try:
        small = {
            (str(week), team)
            for week, team in con.execute(
                "SELECT week_start, team_name FROM marts.team_weekly_metrics "
                "WHERE is_below_min_group_size"
            ).fetchall()
        }
    finally:
        con.close()
    assert small, "the organisation has small teams, so the test can fail"

    def team_weeks(path):
        return {
            (row["week_start"], row["team_name"])
            for spec in specs_of(path.read_text(encoding="utf-8")).values()
            for row in data_rows(spec)
            if "week_start" in row and "team_name" in row
        }

    assert team_weeks(report) and not (team_weeks(report) & small)
    assert team_weeks(restricted) & small  # the restricted report shows them


def _encodings(spec):
    if isinstance(spec, dict):
        if isinstance(spec.get("encoding"), dict):
            yield spec["encoding"]
        for value in spec.values():
            yield from _encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _encodings(value)


def test_every_chart_states_its_finding_and_its_units(published):
    _, _, serving, report, restricted = published
    for path in (report, restricted):
        specs = specs_of(path.read_text(encoding="utf-8"))
        for chart_id, spec in specs.items():
            title = spec.get("title", {}).get("text", "")
            assert re.search(r"\d", title), f"{chart_id}: {title!r} states no figure"
            for encoding in _encodings(spec):
                for channel in ("x", "y"):
                    if channel in encoding and "aggregate" not in encoding[channel]:
                        field = encoding[channel].get("field", "")
                        if field.startswith("peer_median") or field.startswith("limit"):
                            continue  # reference lines share the axis of the points
                        assert encoding[channel].get("title") is not None or (
                            encoding[channel].get("type") == "nominal"
                        ), f"{chart_id}: {channel} axis has no title"
    # The adoption finding is the data's: teams at target in the reference week.
    con = duckdb.connect(str(serving), read_only=True)
    try:
        week, _ = con.execute(
            "SELECT week_start, bool_or(is_provisional) FROM marts.team_weekly_metrics_wide_audience "
            "WHERE adoption_rate IS NOT NULL GROUP BY 1 ORDER BY 2, 1 DESC LIMIT 1"
        ).fetchone()
        met, teams = con.execute(
            "SELECT count(*) FILTER (WHERE adoption_rate >= 0.8), count(*) "
            "FROM marts.team_weekly_metrics_wide_audience "
            "WHERE week_start = ? AND adoption_rate IS NOT NULL",
            [week],
        ).fetchone()
    finally:
        con.close()
    title = specs_of(report.read_text(encoding="utf-8"))["chart-adoption-1"]["title"]["text"]
    assert f"{week.day} {week:%b %Y}" in title
    assert f", {met} of {teams} team" in title


def test_a_table_missing_from_the_serving_file_is_a_visible_note(published, tmp_path, capsys):
    _, _, serving, _, _ = published
    older = tmp_path / "older.duckdb"
    shutil.copy(serving, older)
    con = duckdb.connect(str(older))
    con.execute("DROP TABLE marts.cost_per_deployment_by_usage_decile")
    con.close()
    out = tmp_path / "older.html"
    capsys.readouterr()
    assert main(["report", "--warehouse", str(older), "--out", str(out)]) == 0
    assert "not in this serving file: marts.cost_per_deployment_by_usage_decile" in (
        capsys.readouterr().out
    )
    page = out.read_text(encoding="utf-8")
    assert "Not shown: this serving file has no marts.cost_per_deployment_by_usage_decile" in page
    assert "chart-cost-1" in specs_of(page)  # the rest of the section still draws


def test_report_of_a_missing_or_foreign_file_is_one_line(tmp_path, capsys):
    foreign = tmp_path / "notes.duckdb"
    foreign.write_text("not a database")
    for warehouse in (tmp_path / "missing.duckdb", foreign):
        code = main(["report", "--warehouse", str(warehouse), "--out", str(tmp_path / "r.html")])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith("aiw report: error:") and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r.html").exists()


# Sums every data mark (not axes, legends or titles) in each chart's scenegraph.
COUNT_MARKS = """
(async () => {
  await window.aiwReport.ready;
  const counts = {};
  for (const [id, view] of Object.entries(window.aiwReport.views)) {
    let marks = 0;
    const walk = (item) => {
      if (item.marktype && item.marktype !== 'group' && item.role === 'mark') {
        marks += item.items.length;
      }
      for (const child of item.items || []) walk(child);
    };
    walk(view.scenegraph().root);
    const svg = document.querySelector('#' + id + ' svg.marks');
    counts[id] = {marks, svg_paths: svg ? svg.querySelectorAll('path, line, text').length : 0};
  }
  return counts;
})()
"""


@pytest.mark.parametrize("audience", ["wide", "restricted"])
def test_the_dashboard_draws_in_headless_chromium(published, tmp_path, audience):
    binary = find_chromium()
    if binary is None:
        pytest.skip(
            f"no Chromium on this machine (looked for {', '.join(CANDIDATES)} and AIW_CHROMIUM); "
            "`.ci/run` installs it from the system's packages"
        )
    _, _, _, report, restricted = published
    page = report if audience == "wide" else restricted
    specs = specs_of(page.read_text(encoding="utf-8"))
    with Chromium(binary, tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        browser.wait_for("document.readyState === 'complete' && !!window.aiwReport", timeout=60)
        counts = browser.evaluate(COUNT_MARKS, timeout=90)
        screenshot = tmp_path / f"report-{audience}.png"
        browser.screenshot(screenshot)
        console = browser.console()
        requests = [
            e["params"]["request"]["url"]
            for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
    print(f"screenshot: {screenshot}")
    problems = [m for m in console if m["level"] in ("error", "warning")]
    assert problems == []
    assert set(counts) == set(specs), "every chart was embedded"
    empty = {chart: c for chart, c in counts.items() if c["marks"] == 0 or c["svg_paths"] == 0}
    assert empty == {}, empty
    assert [u for u in requests if not u.startswith(("file:", "data:", "about:"))] == []
    assert screenshot.stat().st_size > 50_000


SPEC_SHAPED_TABLES = """
CREATE TABLE marts.ai_cohort_weekly AS
SELECT week_start, org_name, cohort, developers,
       developers * k AS normalized_deployments, k::DOUBLE AS normalized_deployments_per_developer,
       developers * 10.0 * k AS billed_cost_usd, 10.0 AS cost_per_normalized_deployment,
       0.5 AS ai_assisted_share, false AS is_suppressed
FROM (SELECT DISTINCT week_start, org_name FROM marts.team_weekly_metrics),
     (VALUES ('none', 1), ('light', 2), ('moderate', 2), ('heavy', 3)) AS c(cohort, k),
     (SELECT 6 AS developers);
CREATE TABLE marts.cost_reconciliation_daily AS
SELECT usage_date AS cost_date, 'anthropic' AS provider, model,
       sum(list_cost_usd) AS estimated_cost_usd, sum(list_cost_usd) * 1.01 AS invoiced_cost_usd,
       sum(list_cost_usd) * 0.01 AS difference_usd, 0.0099 AS relative_difference,
       false AS is_unpriced, true AS within_tolerance
FROM marts.fct_token_usage_daily WHERE list_cost_usd IS NOT NULL GROUP BY ALL;
"""


def test_sections_for_tables_other_branches_add_draw_when_present(published, tmp_path):
    """ai_cohort_weekly and cost_reconciliation_daily, shaped as metrics.md says:
    their sections replace the 'not in this serving file' note with charts."""
    binary = find_chromium()
    if binary is None:
        pytest.skip("no Chromium on this machine; `.ci/run` installs it")
    _, _, serving, _, _ = published
    richer = tmp_path / "richer.duckdb"
    shutil.copy(serving, richer)
    con = duckdb.connect(str(richer))
    for table in ("marts.ai_cohort_weekly", "marts.cost_reconciliation_daily"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(SPEC_SHAPED_TABLES)
    con.close()
    out = tmp_path / "richer.html"
    assert main(["report", "--warehouse", str(richer), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    specs = specs_of(page)
    assert "Not shown" not in page
    cohort_title = specs["chart-cohorts-1"]["title"]["text"]
    assert "Heavy AI users ship 3.00 normalized deployments per developer-week, non-users 1.00" in (
        cohort_title
    )
    assert "1.0 % above the estimate" in specs["chart-reconciliation-1"]["title"]["text"]
    with Chromium(binary, tmp_path / "profile") as browser:
        browser.open(out.as_uri())
        browser.wait_for("document.readyState === 'complete' && !!window.aiwReport", timeout=60)
        counts = browser.evaluate(COUNT_MARKS, timeout=90)
        problems = [m for m in browser.console() if m["level"] in ("error", "warning")]
    assert problems == []
    for chart in (
        "chart-cohorts-1",
        "chart-cohorts-2",
        "chart-reconciliation-1",
        "chart-reconciliation-2",
    ):
        assert counts[chart]["marks"] > 0, (chart, counts[chart])


def test_the_readme_lists_every_published_table(published):
    _, _, serving, _, _ = published
    tables = table_names(serving)
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    bi_section = readme[readme.index("## For BI tools") : readme.index("## The dashboard")]
    assert len(tables) >= 14
    assert [t for t in tables if f"`{t}`" not in bi_section] == []
