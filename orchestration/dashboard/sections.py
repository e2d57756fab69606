"""The dashboard's sections: each reads published tables and returns charts
whose titles state what the data shows.

Figures come from the marts as published; what is computed here is only how
they are shown (which week, which bucket, a share of two published counts).

`SECTIONS`, at the end, declares the page's sections in order: each a
`SectionSpec` of a heading, an introduction and the parts that draw it, with
the tables each part needs. A table the serving file lacks, or a query that
finds nothing, becomes a note in place of the part's charts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import altair as alt

from orchestration.dashboard import words
from orchestration.dashboard.published import Published
from orchestration.report import HEADLINE_TABLE, NORMALIZED_DEPLOYMENT, SUSPECTS_TABLE

WIDTH = 760
WEEK_AXIS = "Week (starting Monday)"
# Trailing zeros trimmed, so half-dollar ticks do not print as "$1 $1 $2".
MONEY_AXIS = "$,.2~f"
SUSPECT_COLOURS = alt.Scale(domain=["suspect", "not flagged"], range=["#d62728", "#8da0b3"])


@dataclass
class Section:
    key: str
    heading: str
    intro: str = ""
    charts: list[alt.TopLevelMixin] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A small table (header row first), for figures better read than drawn.
    table: list[list[str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _data(rows: list[dict]) -> alt.Data:
    return alt.Data(values=rows)


def _chart(
    rows: list[dict],
    mark: str,
    *,
    title: alt.Title,
    width: int = WIDTH,
    height: int | None = 220,
    mark_options: dict | None = None,
    **encoding,
) -> alt.Chart:
    """One chart of the page: `rows` drawn with `mark` ("bar", "line", …) and
    the given encodings, titled by its finding."""
    chart = getattr(alt.Chart(_data(rows)), f"mark_{mark}")(**(mark_options or {}))
    size = {"width": width} | ({"height": height} if height is not None else {})
    return chart.encode(**encoding).properties(**size, title=title)


def _team_week_heatmap(
    rows: list[dict],
    *,
    color: alt.Color,
    tooltip: list[alt.Tooltip],
    label: alt.Text,
    dark_when: str,
    title: alt.Title,
) -> alt.LayerChart:
    """Teams (by org) × weeks: a cell per team-week coloured and labelled by
    its figure, labels white where `dark_when` (a Vega expression) holds."""
    base = alt.Chart(_data(rows)).encode(
        x=_week_x(),
        y=alt.Y("team_name:N", title="Team", sort=alt.SortField("org_name")),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=color,
        tooltip=[
            alt.Tooltip("team_name:N", title="team"),
            alt.Tooltip("org_name:N", title="org"),
            alt.Tooltip("utcyearmonthdate(week_start):T", title="week of", format="%d %b %Y"),
            *tooltip,
        ],
    )
    labels = base.mark_text(fontSize=10).encode(
        text=label,
        color=alt.condition(dark_when, alt.value("white"), alt.value("#1b1b1b")),
    )
    return (cells + labels).properties(width=WIDTH - 60, title=title)


def _title(finding: str, *subtitle: str) -> alt.Title:
    return alt.Title(text=finding, subtitle=[s for s in subtitle if s], anchor="start")


def _day_x() -> alt.X:
    """Days on a time axis in UTC, the zone every published date is in."""
    return alt.X(
        "cost_date:T", title="Day", axis=alt.Axis(format="%d %b"), scale=alt.Scale(type="utc")
    )


def _deployments_per_developer_week(
    rows: list[dict], *, x: alt.X, tooltip: list, title: alt.Title, width: int = WIDTH
) -> alt.Chart:
    """Bars of normalized deployments per developer-week, one per bucket of AI use on `x`."""
    return _chart(
        rows,
        "bar",
        mark_options=dict(color="#4c78a8"),
        x=x,
        y=alt.Y(
            "deployments_per_developer_week:Q",
            title="Normalized deployments per developer-week",
        ),
        tooltip=tooltip,
        width=width,
        title=title,
    )


def _week_x(field_name: str = "week_start") -> alt.X:
    """Weeks as ordered categories: one band per week, labelled by its Monday."""
    return alt.X(
        f"{field_name}:O",
        title=WEEK_AXIS,
        axis=alt.Axis(labelExpr="utcFormat(toDate(datum.value), '%d %b')", labelAngle=0),
    )


Found = TypeVar("Found", list, dict)


class NothingToShow(Exception):
    """A part found nothing to draw; its message becomes the section's note."""


def _shown(found: Found, otherwise: str) -> Found:
    """What a query `found`, or, when it is empty, the note `otherwise` in
    place of the rest of the part."""
    if not found:
        raise NothingToShow(otherwise)
    return found


# A table a part needs: its name, or a function of the audience giving it.
Needed = str | Callable[[str], str]


@dataclass(frozen=True)
class Part:
    """One part of a section: `draw(section, pub, audience)` adds its charts,
    notes or table when every table it `needs` is published; otherwise the
    section says which are missing (and `why` they matter), so a serving file
    from an older version still gets the rest of the page."""

    draw: Callable[[Section, Published, str], None]
    needs: tuple[Needed, ...] = ()
    why: str = ""
    audience: str | None = None  # drawn for this audience only; None: for both


@dataclass(frozen=True)
class SectionSpec:
    """A section of the page: its anchor, heading (or a function of the
    published figures giving it), introduction and parts, drawn in order."""

    key: str
    heading: str | Callable[[Published], str]
    intro: str
    parts: tuple[Part, ...]

    def build(self, pub: Published, audience: str) -> Section:
        heading = self.heading(pub) if callable(self.heading) else self.heading
        section = Section(self.key, heading, self.intro)
        for part in self.parts:
            if part.audience not in (None, audience):
                continue
            tables = [t(audience) if callable(t) else t for t in part.needs]
            if _missing(section, pub, *tables, why=part.why):
                continue
            try:
                part.draw(section, pub, audience)
            except NothingToShow as nothing:
                section.notes.append(str(nothing))
        return section


def _missing(section: Section, pub: Published, *tables: str, why: str = "") -> bool:
    missing = [t for t in tables if not pub.has(t)]
    if missing:
        section.missing.extend(missing)
        section.notes.append(
            f"Not shown: this serving file has no {', '.join(missing)}"
            + (f" ({why})" if why else "")
            + "."
        )
    return bool(missing)


def _team_table(audience: str) -> str:
    return (
        "marts.team_weekly_metrics_wide_audience"
        if audience == "wide"
        else "marts.team_weekly_metrics"
    )


# The team-week table of the audience: the wide one hides small teams.
TEAM_WEEKS: Needed = _team_table


def _suppressed(pub: Published, table: str) -> int:
    """How many rows of `table` the minimum group size hides (is_suppressed)."""
    return pub.one(f"SELECT count(*) FILTER (WHERE is_suppressed) AS n FROM {table}")["n"]


def _visible_team_weeks(pub: Published, audience: str) -> tuple[str, int]:
    """The team-week table for the audience, and how many rows it hides."""
    table = _team_table(audience)
    if audience != "wide":
        return table, 0
    return table, _suppressed(pub, table)


def _hidden_note(hidden: int) -> str:
    if not hidden:
        return ""
    return (
        f"{words.count(hidden, 'team-week')} with fewer developers than the minimum group "
        "size are not shown."
    )


def _reference_week(pub: Published, table: str, where: str = "TRUE") -> dict:
    """The latest final week with figures, else the latest (provisional) one."""
    return pub.one(
        f"""
        SELECT week_start, bool_or(is_provisional) AS provisional FROM {table}
        WHERE {where} GROUP BY week_start
        ORDER BY bool_or(is_provisional), week_start DESC LIMIT 1
        """
    )


def _week_words(week: dict) -> str:
    return words.week(week["week_start"]) + (" (provisional)" if week["provisional"] else "")


# --------------------------------------------------------------------------- adoption


def _adoption_target(pub: Published) -> float | None:
    # the target is a dbt var, published with the headline figures
    if not pub.has(HEADLINE_TABLE):
        return None
    return pub.one(f"SELECT adoption_target FROM {HEADLINE_TABLE}").get("adoption_target")


def _adoption_heading(pub: Published) -> str:
    target = _adoption_target(pub)
    if target is None:
        return "AI adoption against the target"
    return f"AI adoption against the {words.pct(target)} target"


def _adoption(section: Section, pub: Published, audience: str) -> None:
    target = _adoption_target(pub)
    table, hidden = _visible_team_weeks(pub, audience)
    shown = "adoption_rate IS NOT NULL"
    rows = _shown(
        pub.rows(
            f"""
            SELECT week_start, team_name, org_name, developers, ai_active_developers,
                   adoption_rate
            FROM {table} WHERE {shown} ORDER BY org_name, team_name, week_start
            """
        ),
        "No team-week with developers to show.",
    )
    if target is None:
        raise NothingToShow("No headline week yet, so no adoption target to compare with.")
    week = _reference_week(pub, table, shown)
    latest = [r for r in rows if r["week_start"] == week["week_start"]]
    met = sum(r["adoption_rate"] >= target for r in latest)
    finding = (
        f"In {_week_words(week)}, {met} of {words.count(len(latest), 'team')} "
        f"reached the {words.pct(target)} adoption target"
    )
    section.charts.append(
        _team_week_heatmap(
            rows,
            color=alt.Color(
                "adoption_rate:Q",
                # warm above the target, cool below: the colour says which side a cell is
                scale=alt.Scale(domain=[0, 1], domainMid=target, scheme="redyellowgreen"),
                title=["Adoption", "(% of developers)"],
                legend=alt.Legend(format=".0%"),
            ),
            tooltip=[
                alt.Tooltip("adoption_rate:Q", title="adoption", format=".0%"),
                alt.Tooltip("ai_active_developers:Q", title="AI-active developers"),
                alt.Tooltip("developers:Q", title="developers"),
            ],
            label=alt.Text("adoption_rate:Q", format=".0%"),
            # the darkest greens and reds
            dark_when="datum.adoption_rate >= 0.93 || datum.adoption_rate <= 0.12",
            title=_title(
                finding,
                f"Cell colour: yellow at the {words.pct(target)} target, green above, red below.",
                _hidden_note(hidden),
            ),
        )
    )


# ------------------------------------------------------------------------ deployments


def _deployments(section: Section, pub: Published, audience: str) -> None:
    table, hidden = _visible_team_weeks(pub, audience)
    weekly = _shown(
        pub.rows(
            f"""
            SELECT week_start, bool_or(is_provisional) AS is_provisional,
                   sum(ai_assisted_normalized_deployments) AS ai_assisted,
                   sum(normalized_deployments) AS normalized
            FROM {table} WHERE normalized_deployments IS NOT NULL
            GROUP BY week_start ORDER BY week_start
            """
        ),
        "No team-week with normalized deployments to show.",
    )
    stacked = []
    for row in weekly:
        for kind, value in (
            ("AI-assisted", row["ai_assisted"]),
            ("not AI-assisted", row["normalized"] - row["ai_assisted"]),
        ):
            stacked.append(
                {
                    "week_start": row["week_start"],
                    "kind": kind,
                    "deployments": value,
                    "week_status": "provisional" if row["is_provisional"] else "final",
                }
            )
    week = _reference_week(pub, table, "normalized_deployments IS NOT NULL")
    this_week = next(r for r in weekly if r["week_start"] == week["week_start"])
    total_ai = sum(r["ai_assisted"] for r in weekly)
    total = sum(r["normalized"] for r in weekly)
    share_week = (
        this_week["ai_assisted"] / this_week["normalized"] if this_week["normalized"] else None
    )
    share_all = total_ai / total if total else None
    section.charts.append(
        _chart(
            stacked,
            "bar",
            x=_week_x(),
            y=alt.Y("sum(deployments):Q", title="Normalized deployments (count per week)"),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=["AI-assisted", "not AI-assisted"], range=["#4c78a8", "#bcc8d6"]
                ),
                legend=alt.Legend(orient="top"),
            ),
            opacity=alt.Opacity(
                "week_status:N",
                sort=["final", "provisional"],
                scale=alt.Scale(domain=["final", "provisional"], range=[1.0, 0.45]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(week_start):T", title="week of", format="%d %b %Y"),
                alt.Tooltip("kind:N", title="kind"),
                alt.Tooltip("deployments:Q", title="normalized deployments"),
                alt.Tooltip("week_status:N", title="week"),
            ],
            title=_title(
                f"{words.pct(share_week)} of normalized deployments in {_week_words(week)} "
                f"were AI-assisted ({words.pct(share_all)} over all weeks shown)",
                "Provisional weeks (paler) can still lose deployments to a rollback.",
                _hidden_note(hidden),
            ),
        )
    )
    per_team = pub.rows(
        f"""
        SELECT week_start, team_name, org_name, normalized_deployments_per_developer,
               normalized_deployments, developers, is_provisional
        FROM {table} WHERE normalized_deployments_per_developer IS NOT NULL
        ORDER BY org_name, team_name, week_start
        """
    )
    latest = sorted(
        (r for r in per_team if r["week_start"] == week["week_start"]),
        key=lambda r: r["normalized_deployments_per_developer"],
    )
    if latest:
        low, high = latest[0], latest[-1]
        finding = (
            f"In {_week_words(week)}, normalized deployments per developer ranged from "
            f"{words.number(low['normalized_deployments_per_developer'])} ({low['team_name']}) "
            f"to {words.number(high['normalized_deployments_per_developer'])} ({high['team_name']})"
        )
    else:
        finding = f"No team had developers in {_week_words(week)}"
    dark = 0.65 * max((r["normalized_deployments_per_developer"] for r in per_team), default=0)
    section.charts.append(
        _team_week_heatmap(
            per_team,
            color=alt.Color(
                "normalized_deployments_per_developer:Q",
                scale=alt.Scale(scheme="blues", zero=True),
                title=["Normalized", "deployments per", "developer (week)"],
            ),
            tooltip=[
                alt.Tooltip(
                    "normalized_deployments_per_developer:Q", title="per developer", format=".2f"
                ),
                alt.Tooltip("normalized_deployments:Q", title="normalized deployments"),
                alt.Tooltip("developers:Q", title="developers"),
                alt.Tooltip("is_provisional:N", title="provisional"),
            ],
            label=alt.Text("normalized_deployments_per_developer:Q", format=".1f"),
            # the darker blues
            dark_when=f"datum.normalized_deployments_per_developer > {dark}",
            title=_title(
                finding,
                "Normalized deployments delivered in the week per developer of the team; "
                "the last weeks are provisional until 7 days after their Sunday.",
                _hidden_note(hidden),
            ),
        )
    )


# ---------------------------------------------------------------------------- pricing


PRICING_TABLE = "marts.pricing_shift_monthly"


def _pricing(section: Section, pub: Published, audience: str) -> None:
    covered_days = "covered_days" if "covered_days" in pub.columns(PRICING_TABLE) else "NULL"
    months = _shown(
        pub.rows(
            "SELECT month, flat_rate_cost_usd, per_token_cost_usd, billed_cost_usd, pricing_model, "
            f"{covered_days} AS covered_days FROM {PRICING_TABLE} ORDER BY month"
        ),
        "No covered month yet.",
    )
    bars = [
        {
            "month": m["month"],
            "regime": regime,
            "cost_usd": m[column],
            "pricing_model": m["pricing_model"],
        }
        for m in months
        for regime, column in (
            ("flat-rate", "flat_rate_cost_usd"),
            ("per-token", "per_token_cost_usd"),
            ("billed", "billed_cost_usd"),
        )
    ]
    flat = sum(m["flat_rate_cost_usd"] or 0 for m in months)
    token = sum(m["per_token_cost_usd"] or 0 for m in months)
    billed = sum(m["billed_cost_usd"] or 0 for m in months)
    span = words.month(months[0]["month"]) + (
        f" – {words.month(months[-1]['month'])}" if len(months) > 1 else ""
    )
    cheaper, dearer = ("per-token", "flat-rate") if token <= flat else ("flat-rate", "per-token")
    finding = (
        f"Over {span}, {cheaper} pricing comes to {words.money(min(flat, token))}, "
        f"{words.pct(1 - min(flat, token) / max(flat, token)) if max(flat, token) else 'n/a'} "
        f"less than {dearer} ({words.money(max(flat, token))}); billed {words.money(billed)}"
    )
    regimes = ", ".join(f"{words.month(m['month'])}: {m['pricing_model']}" for m in months)
    short = [
        f"{words.month(m['month'])} covers {words.count(m['covered_days'], 'day')}"
        for m in months
        if m["covered_days"] is not None and m["covered_days"] < 28
    ]
    section.charts.append(
        _chart(
            bars,
            "bar",
            x=alt.X(
                "month:O",
                title="Month",
                axis=alt.Axis(labelExpr="utcFormat(toDate(datum.value), '%b %Y')", labelAngle=0),
            ),
            xOffset=alt.XOffset("regime:N", sort=["flat-rate", "per-token", "billed"]),
            y=alt.Y("cost_usd:Q", title="Cost (USD per month)", axis=alt.Axis(format=MONEY_AXIS)),
            color=alt.Color(
                "regime:N",
                title="Regime",
                sort=["flat-rate", "per-token", "billed"],
                scale=alt.Scale(
                    domain=["flat-rate", "per-token", "billed"],
                    range=["#9c755f", "#f28e2b", "#4c78a8"],
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("utcyearmonth(month):T", title="month", format="%b %Y"),
                alt.Tooltip("regime:N"),
                alt.Tooltip("cost_usd:Q", title="cost (USD)", format="$,.2f"),
                alt.Tooltip("pricing_model:N", title="contract"),
            ],
            height=240,
            title=_title(
                finding,
                f"Contract in force — {regimes}.",
                "; ".join(short) + ("." if short else ""),
            ),
        )
    )


# ------------------------------------------------------------------------------- cost


def _cost_by_team(section: Section, pub: Published, audience: str) -> None:
    table, hidden = _visible_team_weeks(pub, audience)
    where = "cost_per_normalized_deployment IS NOT NULL"
    week = _shown(
        _reference_week(pub, table, where),
        "No team-week has both cost and a normalized deployment.",
    )
    rows = pub.rows(
        f"""
        SELECT team_name, org_name, cost_per_normalized_deployment, billed_cost_usd,
               normalized_deployments
        FROM {table} WHERE week_start = ? AND {where}
        ORDER BY cost_per_normalized_deployment
        """,
        [week["week_start"]],
    )
    without = pub.one(
        f"SELECT count(*) AS n FROM {table} WHERE week_start = ? "
        "AND developers IS NOT NULL AND normalized_deployments = 0",
        [week["week_start"]],
    )["n"]
    low, high = rows[0], rows[-1]
    section.charts.append(
        _chart(
            rows,
            "bar",
            y=alt.Y("team_name:N", title="Team", sort="x"),
            x=alt.X(
                "cost_per_normalized_deployment:Q",
                title="Billed cost per normalized deployment (USD)",
                axis=alt.Axis(format=MONEY_AXIS),
            ),
            color=alt.Color("org_name:N", title="Org", legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("team_name:N", title="team"),
                alt.Tooltip(
                    "cost_per_normalized_deployment:Q", title="per deployment", format="$,.2f"
                ),
                alt.Tooltip("billed_cost_usd:Q", title="billed cost", format="$,.2f"),
                alt.Tooltip("normalized_deployments:Q", title="normalized deployments"),
            ],
            height=None,
            width=WIDTH - 120,
            title=_title(
                f"In {_week_words(week)}, a normalized deployment cost "
                f"{words.money(low['cost_per_normalized_deployment'])} in {low['team_name']} "
                f"and {words.money(high['cost_per_normalized_deployment'])} in {high['team_name']}",
                (
                    f"{words.count(without, 'team')} with developers but no normalized deployment "
                    "that week (no figure)."
                    if without
                    else ""
                ),
                _hidden_note(hidden),
            ),
        )
    )


DECILE_TABLE = "marts.cost_per_deployment_by_usage_decile"
DECILE_LABEL = (
    "CASE WHEN usage_decile = 0 THEN 'no use' WHEN usage_decile = 1 THEN '1 (least)' "
    "WHEN usage_decile = 10 THEN '10 (most)' ELSE usage_decile::VARCHAR END"
)


def _cost_by_decile(section: Section, pub: Published, audience: str) -> None:
    rows = pub.rows(
        f"""
        SELECT usage_decile, {DECILE_LABEL} AS bucket, developer_weeks, developers,
               normalized_deployments,
               normalized_deployments / developer_weeks AS deployments_per_developer_week,
               per_token_cost_per_normalized_deployment, billed_cost_per_normalized_deployment,
               {"min_weekly_tokens, max_weekly_tokens" if audience == "restricted" else "NULL AS min_weekly_tokens, NULL AS max_weekly_tokens"}
        FROM {DECILE_TABLE}
        WHERE NOT is_suppressed AND developer_weeks > 0
        ORDER BY usage_decile
        """
    )
    hidden = _suppressed(pub, DECILE_TABLE)
    hidden_note = (
        f"{words.count(hidden, 'bucket')} with fewer developers than the minimum group size "
        "not shown."
        if hidden
        else ""
    )
    used = _shown(
        [r for r in rows if r["usage_decile"] > 0],
        "No usage decile with enough developers to show.",
    )
    order = [r["bucket"] for r in rows]
    lightest, heaviest = used[0], used[-1]
    none = next((r for r in rows if r["usage_decile"] == 0), None)
    ratio = (
        heaviest["deployments_per_developer_week"] / lightest["deployments_per_developer_week"]
        if lightest["deployments_per_developer_week"]
        else None
    )
    x = alt.X(
        "bucket:O",
        title="Weekly AI token use (decile of developer-weeks)",
        sort=order,
        axis=alt.Axis(labelAngle=0),
    )
    tooltip = [
        alt.Tooltip("bucket:N", title="decile"),
        # A bucket's bounds are single developer-weeks: individual figures, if unnamed.
        *(
            [
                alt.Tooltip("min_weekly_tokens:Q", title="from tokens/week", format=","),
                alt.Tooltip("max_weekly_tokens:Q", title="to tokens/week", format=","),
            ]
            if audience == "restricted"
            else []
        ),
        alt.Tooltip("developer_weeks:Q", title="developer-weeks"),
        alt.Tooltip("deployments_per_developer_week:Q", title="deployments/dev-week", format=".2f"),
        alt.Tooltip(
            "per_token_cost_per_normalized_deployment:Q",
            title="per-token $/deployment",
            format="$,.2f",
        ),
        alt.Tooltip(
            "billed_cost_per_normalized_deployment:Q", title="billed $/deployment", format="$,.2f"
        ),
    ]
    section.charts.append(
        _deployments_per_developer_week(
            rows,
            x=x,
            tooltip=tooltip,
            title=_title(
                f"The heaviest AI users ship {words.number(heaviest['deployments_per_developer_week'], 2)} "
                f"normalized deployments per developer-week, "
                + (f"{words.number(ratio, 1)}× " if ratio is not None else "")
                + f"the lightest users' {words.number(lightest['deployments_per_developer_week'], 2)}",
                (
                    f"Developer-weeks with no AI use: {words.number(none['deployments_per_developer_week'], 2)}."
                    if none
                    else ""
                ),
                hidden_note,
            ),
        )
    )
    cost_ratio = (
        heaviest["per_token_cost_per_normalized_deployment"]
        / lightest["per_token_cost_per_normalized_deployment"]
        if lightest["per_token_cost_per_normalized_deployment"]
        else None
    )
    section.charts.append(
        _chart(
            used,
            "line",
            mark_options=dict(point=alt.OverlayMarkDef(color="#f28e2b"), color="#f28e2b"),
            x=alt.X(
                "bucket:O",
                title="Weekly AI token use (decile of developer-weeks)",
                sort=[r["bucket"] for r in used],
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y(
                "per_token_cost_per_normalized_deployment:Q",
                title="Per-token cost per normalized deployment (USD)",
                axis=alt.Axis(format=MONEY_AXIS),
            ),
            tooltip=tooltip,
            title=_title(
                f"At per-token prices a normalized deployment costs "
                f"{words.money(heaviest['per_token_cost_per_normalized_deployment'])} in the top decile, "
                + (f"{words.number(cost_ratio, 0)}× " if cost_ratio is not None else "")
                + f"the lightest decile's {words.money(lightest['per_token_cost_per_normalized_deployment'])}",
                "Tokens of each developer-week priced at list price; the flat-rate seat cost does "
                "not vary with use.",
            ),
        )
    )


# ---------------------------------------------------------------------------- cohorts

COHORTS = ["none", "light", "moderate", "heavy"]


COHORT_TABLE = "marts.ai_cohort_weekly"


def _cohorts(section: Section, pub: Published, audience: str) -> None:
    rows = _shown(
        pub.rows(
            f"""
            SELECT cohort, count(*) AS org_weeks, sum(developers) AS developer_weeks,
                   sum(normalized_deployments) AS normalized_deployments,
                   sum(normalized_deployments) / nullif(sum(developers), 0)
                       AS deployments_per_developer_week,
                   sum(billed_cost_usd) / nullif(sum(normalized_deployments), 0)
                       AS cost_per_normalized_deployment
            FROM {COHORT_TABLE} WHERE NOT is_suppressed
            GROUP BY cohort
            """
        ),
        "Every org-week cohort has fewer developers than the minimum group size.",
    )
    hidden = _suppressed(pub, COHORT_TABLE)
    by = {r["cohort"]: r for r in rows}
    heavy, none = by.get("heavy"), by.get("none")
    finding = "Normalized deployments per developer-week by cohort"
    if heavy and none:
        finding = (
            f"Heavy AI users ship {words.number(heavy['deployments_per_developer_week'], 2)} "
            f"normalized deployments per developer-week, non-users "
            f"{words.number(none['deployments_per_developer_week'], 2)}"
        )
    hidden_note = (
        f"{words.count(hidden, 'org-week cohort')} below the minimum group size not counted."
        if hidden
        else ""
    )
    x = alt.X(
        "cohort:N",
        sort=COHORTS,
        title="Cohort (by that week's tokens)",
        axis=alt.Axis(labelAngle=0),
    )
    tooltip = [
        alt.Tooltip("cohort:N"),
        alt.Tooltip("developer_weeks:Q", title="developer-weeks"),
        alt.Tooltip("normalized_deployments:Q", title="normalized deployments"),
        alt.Tooltip("deployments_per_developer_week:Q", title="per developer-week", format=".2f"),
        alt.Tooltip(
            "cost_per_normalized_deployment:Q", title="billed $/deployment", format="$,.2f"
        ),
    ]
    section.charts.append(
        _deployments_per_developer_week(
            rows,
            x=x,
            tooltip=tooltip,
            width=WIDTH // 2,
            title=_title(finding, "All weeks and orgs shown.", hidden_note),
        )
    )
    costed = [r for r in rows if r["cost_per_normalized_deployment"] is not None]
    if costed:
        dear = max(costed, key=lambda r: r["cost_per_normalized_deployment"])
        cheap = min(costed, key=lambda r: r["cost_per_normalized_deployment"])
        section.charts.append(
            _chart(
                costed,
                "bar",
                mark_options=dict(color="#f28e2b"),
                x=x,
                y=alt.Y(
                    "cost_per_normalized_deployment:Q",
                    title="Billed cost per normalized deployment (USD)",
                    axis=alt.Axis(format=MONEY_AXIS),
                ),
                tooltip=tooltip,
                width=WIDTH // 2,
                title=_title(
                    f"A normalized deployment costs {words.money(dear['cost_per_normalized_deployment'])} "
                    f"in the {dear['cohort']} cohort, {words.money(cheap['cost_per_normalized_deployment'])} "
                    f"in the {cheap['cohort']} one",
                ),
            )
        )


# ---------------------------------------------------------------------------- signals

PANEL = 230  # width of one org's panel; three to a row


def _suspects_finding(day: str, suspects: list[dict], kind: str) -> str:
    return (
        f"On {words.day(day)}, {words.count(len(suspects), 'developer')} "
        f"{'is a' if len(suspects) == 1 else 'are'} {kind} "
        f"{'suspect' if len(suspects) == 1 else 'suspects'} (red)"
    )


def _named(people: list[dict], per_line: int = 4, most: int = 12) -> list[str]:
    """Subtitle lines naming the suspects, so the page says who without a hover."""
    names = [f"{r['full_name'] or r['employee_id']} ({r['employee_id']})" for r in people[:most]]
    lines = [", ".join(names[i : i + per_line]) for i in range(0, len(names), per_line)]
    if len(people) > most:
        lines.append(f"and {len(people) - most} more (see the table below)")
    return lines


def _signals_in_brief(section: Section, pub: Published, audience: str) -> None:
    """The wide report counts the suspects and says where they are named."""
    if not pub.has(SUSPECTS_TABLE):
        section.notes.append("Individual signals are only in the restricted report.")
        return
    flagged = pub.one(
        f"""
        SELECT max(signal_date) AS day, count(*) FILTER (WHERE is_tokenmaxxing_suspect) AS n
        FROM {SUSPECTS_TABLE}
        WHERE signal_date = (SELECT max(signal_date) FROM {SUSPECTS_TABLE})
        """
    )
    section.notes.append(
        f"{words.count(flagged['n'] or 0, 'developer')} flagged as tokenmaxxing "
        f"suspect on {words.day(flagged['day'])}. Who they are is individual-level data: "
        f"it is in {SUSPECTS_TABLE} and in the restricted report "
        "(aiw report --audience restricted), not in this wide-audience one."
    )


def _developer_signals(pub: Published) -> list[dict]:
    """Every developer's signals on the latest day, named where the serving
    file has the employees; older serving files lack the change-splitting columns."""
    names = pub.has("restricted.dim_employees")
    splitting = "is_change_splitting_suspect" in pub.columns(SUSPECTS_TABLE)
    return pub.rows(
        f"""
        SELECT s.signal_date, s.employee_id, s.org_name,
               {"e.full_name, e.team_name" if names else "NULL AS full_name, NULL AS team_name"},
               s.tokens_28d, s.normalized_deployments_28d,
               s.peer_median_tokens_28d, s.peer_median_normalized_deployments_28d,
               CASE WHEN s.is_tokenmaxxing_suspect THEN 'suspect' ELSE 'not flagged' END AS tokenmaxxing,
               {"s.is_change_splitting_suspect" if splitting else "false"} AS change_splitting,
               {"s.lines_per_deployment_28d" if splitting else "NULL"} AS lines_per_deployment_28d,
               {"s.peer_median_lines_per_deployment_28d" if splitting else "NULL"}
                   AS peer_median_lines_per_deployment_28d
        FROM {SUSPECTS_TABLE} s
        {"LEFT JOIN restricted.dim_employees e USING (employee_id)" if names else ""}
        WHERE s.signal_date = (SELECT max(signal_date) FROM {SUSPECTS_TABLE})
        ORDER BY s.org_name, s.employee_id
        """
    )


# Who a point is, in every signals chart's tooltip.
WHO = [
    alt.Tooltip("employee_id:N", title="employee"),
    alt.Tooltip("full_name:N", title="name"),
    alt.Tooltip("team_name:N", title="team"),
]


def _median_rule(**encoding) -> alt.Chart:
    """A dashed line at the org's peer median (the mean of one repeated value)."""
    return alt.Chart().mark_rule(strokeDash=[4, 3], color="#555").encode(**encoding)


def _per_org(*layers: alt.Chart, rows: list[dict], height: int, title: alt.Title) -> alt.FacetChart:
    """The layers drawn once per org, three panels to a row."""
    return (
        alt.layer(*layers, data=_data(rows))
        .properties(width=PANEL, height=height)
        .facet(facet=alt.Facet("org_name:N", title=None), columns=3)
        .properties(title=title)
    )


def _signals_by_developer(section: Section, pub: Published, audience: str) -> None:
    rows = _shown(_developer_signals(pub), "No developer signal published yet.")
    day = rows[0]["signal_date"]
    section.charts.append(_tokenmaxxing_chart(rows, day))
    splitting = _change_splitting_chart(rows, day)
    if splitting is not None:
        section.charts.append(splitting)
    flagged = [r for r in rows if r["tokenmaxxing"] == "suspect" or r["change_splitting"]]
    if flagged:
        section.table = _flagged_table(flagged)


def _tokenmaxxing_chart(rows: list[dict], day: str) -> alt.FacetChart:
    suspects = [r for r in rows if r["tokenmaxxing"] == "suspect"]
    idle = sum(1 for r in rows if not r["tokens_28d"])
    points = (
        alt.Chart()
        .mark_point(filled=True, size=60, opacity=0.85)
        .encode(
            x=alt.X(
                "tokens_28d:Q",
                title="Tokens over 28 days (log scale)",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~s"),
            ),
            y=alt.Y("normalized_deployments_28d:Q", title="Normalized deployments over 28 days"),
            color=alt.Color(
                "tokenmaxxing:N",
                scale=SUSPECT_COLOURS,
                title="Tokenmaxxing",
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                *WHO,
                alt.Tooltip("tokens_28d:Q", title="tokens (28 d)", format=","),
                alt.Tooltip("peer_median_tokens_28d:Q", title="org median tokens", format=",.0f"),
                alt.Tooltip("normalized_deployments_28d:Q", title="normalized deployments (28 d)"),
                alt.Tooltip(
                    "peer_median_normalized_deployments_28d:Q", title="org median deployments"
                ),
                alt.Tooltip("tokenmaxxing:N"),
            ],
        )
    )
    return _per_org(
        points,
        _median_rule(x="mean(peer_median_tokens_28d):Q"),
        _median_rule(y="mean(peer_median_normalized_deployments_28d):Q"),
        rows=[r for r in rows if r["tokens_28d"]],
        height=260,
        title=_title(
            _suspects_finding(day, suspects, "tokenmaxxing"),
            *_named(suspects),
            "Dashed lines: the org's peer medians. Suspects by the rule of "
            f"{SUSPECTS_TABLE} (is_tokenmaxxing_suspect).",
            (
                f"{words.count(idle, 'developer')} with no tokens in the 28 days not shown."
                if idle
                else ""
            ),
        ),
    )


def _change_splitting_chart(rows: list[dict], day: str) -> alt.FacetChart | None:
    """None when no one shipped lines, or the serving file has no change-splitting signal."""
    # Log scale: a deployment of 0 changed lines cannot be placed (and is rare).
    shippers = [r for r in rows if (r["lines_per_deployment_28d"] or 0) > 0]
    if not shippers:
        return None
    splitters = [r for r in shippers if r["change_splitting"]]
    for r in shippers:
        r["change_splitting_label"] = "suspect" if r["change_splitting"] else "not flagged"
    points = (
        alt.Chart()
        .mark_point(filled=True, size=60, opacity=0.85)
        .encode(
            x=alt.X("normalized_deployments_28d:Q", title="Normalized deployments over 28 days"),
            y=alt.Y(
                "lines_per_deployment_28d:Q",
                title="Lines changed per deployment (28 days, log scale)",
                scale=alt.Scale(type="log"),
            ),
            color=alt.Color(
                "change_splitting_label:N",
                scale=SUSPECT_COLOURS,
                title="Change splitting",
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                *WHO,
                alt.Tooltip("normalized_deployments_28d:Q", title="normalized deployments (28 d)"),
                alt.Tooltip("lines_per_deployment_28d:Q", title="lines/deployment", format=",.0f"),
                alt.Tooltip(
                    "peer_median_lines_per_deployment_28d:Q",
                    title="org median lines/deployment",
                    format=",.0f",
                ),
            ],
        )
    )
    return _per_org(
        points,
        _median_rule(y="mean(peer_median_lines_per_deployment_28d):Q"),
        rows=shippers,
        height=240,
        title=_title(
            _suspects_finding(day, splitters, "change-splitting"),
            *_named(splitters),
            "Many normalized deployments of few lines each; dashed line: the org's "
            "peer median lines per deployment.",
        ),
    )


def _flagged_table(flagged: list[dict]) -> list[list[str]]:
    """Every suspect, named, with the figures that flagged them."""
    header = [
        "employee",
        "name",
        "team",
        "org",
        "signal",
        "tokens (28 d)",
        "org median tokens",
        "normalized deployments (28 d)",
        "org median",
    ]
    return [header] + [
        [
            r["employee_id"],
            r["full_name"] or "",
            r["team_name"] or "",
            r["org_name"],
            " + ".join(
                kind
                for kind, on in (
                    ("tokenmaxxing", r["tokenmaxxing"] == "suspect"),
                    ("change splitting", r["change_splitting"]),
                )
                if on
            ),
            f"{r['tokens_28d']:,}",
            words.figure(r["peer_median_tokens_28d"]),
            f"{r['normalized_deployments_28d']:,}",
            words.figure(r["peer_median_normalized_deployments_28d"]),
        ]
        for r in flagged
    ]


# --------------------------------------------------------------------- reconciliation


RECONCILIATION_TABLE = "marts.cost_reconciliation_daily"


def _reconciliation(section: Section, pub: Published, audience: str) -> None:
    table = RECONCILIATION_TABLE
    daily = _shown(
        pub.rows(
            f"""
            SELECT cost_date, provider, sum(estimated_cost_usd) AS estimated,
                   sum(invoiced_cost_usd) AS invoiced
            FROM {table} GROUP BY ALL ORDER BY provider, cost_date
            """
        ),
        "No provider cost report reconciled yet.",
    )
    totals = pub.one(
        f"""
        SELECT sum(estimated_cost_usd) AS estimated, sum(invoiced_cost_usd) AS invoiced,
               count(*) AS cells, count(*) FILTER (WHERE NOT within_tolerance) AS outside
        FROM {table}
        """
    )
    lines = [
        {
            "cost_date": r["cost_date"],
            "provider": r["provider"],
            "series": series,
            "cost_usd": r[key],
        }
        for r in daily
        for series, key in (("estimated", "estimated"), ("invoiced", "invoiced"))
    ]
    gap = (
        (totals["invoiced"] - totals["estimated"]) / totals["invoiced"]
        if totals["invoiced"]
        else None
    )
    direction = "above" if (gap or 0) >= 0 else "below"
    section.charts.append(
        _chart(
            lines,
            "line",
            mark_options=dict(point=True),
            x=_day_x(),
            y=alt.Y("cost_usd:Q", title="Cost (USD per day)", axis=alt.Axis(format=MONEY_AXIS)),
            color=alt.Color(
                "series:N",
                title=None,
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(domain=["estimated", "invoiced"], range=["#f28e2b", "#4c78a8"]),
            ),
            strokeDash=alt.StrokeDash("provider:N", title="Provider"),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(cost_date):T", title="day", format="%d %b %Y"),
                alt.Tooltip("provider:N"),
                alt.Tooltip("series:N"),
                alt.Tooltip("cost_usd:Q", title="cost", format="$,.2f"),
            ],
            title=_title(
                f"Invoices total {words.money(totals['invoiced'])}, "
                f"{words.pct(abs(gap) if gap is not None else None, 1)} {direction} the "
                f"estimate of {words.money(totals['estimated'])}; "
                f"{totals['outside']:,} of {words.count(totals['cells'], 'provider-model-day')} "
                "outside tolerance",
            ),
        )
    )
    gaps = pub.rows(
        f"""
        SELECT cost_date, provider, sum(difference_usd) AS difference_usd,
               CASE WHEN bool_and(within_tolerance) THEN 'within tolerance'
                    ELSE 'a model outside tolerance' END AS status
        FROM {table} GROUP BY ALL ORDER BY cost_date, provider
        """
    )
    worst = max(gaps, key=lambda r: abs(r["difference_usd"] or 0))
    section.charts.append(
        _chart(
            gaps,
            "bar",
            x=_day_x(),
            y=alt.Y(
                "sum(difference_usd):Q",
                title="Invoiced − estimated (USD per day)",
                axis=alt.Axis(format=MONEY_AXIS),
            ),
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(
                    domain=["within tolerance", "a model outside tolerance"],
                    range=["#8da0b3", "#d62728"],
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("utcyearmonthdate(cost_date):T", title="day", format="%d %b %Y"),
                alt.Tooltip("provider:N"),
                alt.Tooltip("difference_usd:Q", title="invoiced − estimated", format="$,.2f"),
                alt.Tooltip("status:N"),
            ],
            height=200,
            title=_title(
                f"The largest daily gap: {words.money(worst['difference_usd'])} "
                f"({worst['provider']}, {words.day(worst['cost_date'])})",
                "Positive: the provider billed more than the warehouse estimates.",
            ),
        )
    )


# ----------------------------------------------------------------------------- health


def _quarantine(section: Section, pub: Published, audience: str) -> None:
    read = (
        pub.one("SELECT sum(lines_read) AS n FROM audit.landing_files")["n"]
        if pub.has("audit.landing_files")
        else None
    )
    rows = _shown(
        pub.rows(
            "SELECT source, reason, count(*) AS records FROM audit.quarantined_records "
            "GROUP BY ALL ORDER BY records DESC, source, reason"
        ),
        "Nothing quarantined: every landing line was loaded"
        + (f" ({read:,} lines read)." if read else "."),
    )
    total = sum(r["records"] for r in rows)
    top = rows[0]
    share = f" ({words.pct(total / read, 2)} of {read:,} lines read)" if read else ""
    section.charts.append(
        _chart(
            rows,
            "bar",
            y=alt.Y("reason:N", title="Reason", sort="-x"),
            x=alt.X("sum(records):Q", title="Quarantined records (lines, or whole files)"),
            color=alt.Color("source:N", title="Source", legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("source:N"),
                alt.Tooltip("reason:N"),
                alt.Tooltip("records:Q", title="records"),
            ],
            height=None,
            width=WIDTH - 140,
            title=_title(
                f"{words.count(total, 'record')} quarantined{share}; the most common: "
                f"{top['reason']} in {top['source']} ({top['records']:,})",
                "Each is in audit.quarantined_records with its file, line and the line itself.",
            ),
        )
    )


def _checks(section: Section, pub: Published, audience: str) -> None:
    run = pub.one(
        "SELECT run_id, max(checked_at) AS checked_at FROM audit.check_results "
        "GROUP BY run_id ORDER BY checked_at DESC LIMIT 1"
    )
    _shown(run, "No check results recorded yet.")
    columns = pub.columns("audit.check_results")
    summary = "summary" if "summary" in columns else "NULL"
    checks = pub.rows(
        f"""
        SELECT check_name, asset, severity, passed, observed_value, threshold, {summary} AS summary
        FROM audit.check_results WHERE run_id = ? ORDER BY passed, asset, check_name
        """,
        [run["run_id"]],
    )
    failed = [c for c in checks if not c["passed"]]
    header = ["check", "asset", "severity", "result", "observed", "threshold"]
    if audience == "restricted":
        # Summaries may quote what they found; the wide report keeps to figures.
        header.append("summary")
    section.table = [header] + [
        [
            c["check_name"],
            c["asset"],
            c["severity"],
            "passed" if c["passed"] else "FAILED",
            words.figure(c["observed_value"]),
            words.figure(c["threshold"]),
            *([c["summary"] or ""] if audience == "restricted" else []),
        ]
        for c in checks
    ]
    section.notes.append(
        f"Quality checks of the run at {str(run['checked_at'])[:16].replace('T', ' ')} UTC: "
        f"{len(checks) - len(failed)} of {len(checks)} passed"
        + (f"; failed: {', '.join(c['check_name'] for c in failed)}." if failed else ".")
    )
    shares = [
        {
            "what": c["check_name"].replace("_unattributed_share", "").replace("_", " "),
            "share": c["observed_value"],
            "limit": c["threshold"],
            "passed": "passed" if c["passed"] else "failed",
        }
        for c in checks
        if c["check_name"].endswith("unattributed_share") and c["observed_value"] is not None
    ]
    _shown(shares, "No unattributed-share check in the latest run.")
    base = alt.Chart(_data(shares)).encode(y=alt.Y("what:N", title=None))
    bars = base.mark_bar(color="#4c78a8").encode(
        x=alt.X(
            "share:Q", title="Unattributed share (% of all history)", axis=alt.Axis(format=".0%")
        ),
        tooltip=[
            alt.Tooltip("what:N"),
            alt.Tooltip("share:Q", format=".2%"),
            alt.Tooltip("limit:Q", title="blocking above", format=".0%"),
            alt.Tooltip("passed:N", title="check"),
        ],
    )
    limits = base.mark_tick(color="#d62728", thickness=3, size=28).encode(x="limit:Q")
    section.charts.append(
        (bars + limits).properties(
            width=WIDTH - 140,
            height=36 * len(shares),
            title=_title(
                "Unattributed: "
                + ", ".join(f"{words.pct(s['share'], 1)} of {s['what']}" for s in shares)
                + f" (limit {', '.join(sorted({words.pct(s['limit']) for s in shares}))})",
                "Red tick: the share above which the run is blocked. Unattributed activity "
                "still counts in every total that needs no team.",
            ),
        )
    )


SECTIONS = [
    SectionSpec(
        "adoption",
        _adoption_heading,
        "Share of each team's developers (taken on the week's Sunday) with at least one "
        "successful AI request that week.",
        (Part(_adoption, needs=(TEAM_WEEKS, HEADLINE_TABLE)),),
    ),
    SectionSpec(
        "deployments",
        "Normalized deployments per developer, and how many were AI-assisted",
        NORMALIZED_DEPLOYMENT
        + " AI-assisted: the delivering deployment was flagged as made with AI help.",
        (Part(_deployments, needs=(TEAM_WEEKS,)),),
    ),
    SectionSpec(
        "pricing",
        "Flat-rate vs per-token cost by month (the pricing shift)",
        "Both regimes are computed for every covered day: flat-rate is the seat price of every "
        "active employee, per-token is the list price of the tokens used. Billed is the one the "
        "contract in force named.",
        (Part(_pricing, needs=(PRICING_TABLE,)),),
    ),
    SectionSpec(
        "cost",
        "Cost per normalized deployment",
        "Billed cost of a team's people in a week divided by the team's normalized deployments; "
        "and, across all developer-weeks, how deployments and cost move with AI usage.",
        (
            Part(_cost_by_team, needs=(TEAM_WEEKS,)),
            Part(_cost_by_decile, needs=(DECILE_TABLE,), why="diminishing-returns view"),
        ),
    ),
    SectionSpec(
        "cohorts",
        "Is AI worth it? Cohorts by AI use",
        "Each week, every developer falls in one cohort by their tokens that week: none, or the "
        "light, moderate and heavy thirds of their org's users. No one is named.",
        (Part(_cohorts, needs=(COHORT_TABLE,)),),
    ),
    SectionSpec(
        "signals",
        "Is anyone gaming the metric? Tokens vs normalized deployments (28 days)",
        "Each developer's tokens and normalized deployments over the 28 days ending on the latest "
        "day, against their org's peer medians (lines). Tokenmaxxing suspects use far more "
        "tokens than their peers without shipping more.",
        (
            Part(_signals_in_brief, audience="wide"),
            Part(_signals_by_developer, needs=(SUSPECTS_TABLE,), audience="restricted"),
        ),
    ),
    SectionSpec(
        "reconciliation",
        "Estimated vs invoiced cost",
        "The warehouse's own cost estimate (list prices × tokens) against the providers' cost "
        "reports, per day.",
        (Part(_reconciliation, needs=(RECONCILIATION_TABLE,)),),
    ),
    SectionSpec(
        "health",
        "Data health",
        "What the pipeline refused to load, whether its quality checks passed, and how much "
        "activity matched no employee (unattributed).",
        (
            Part(_quarantine, needs=("audit.quarantined_records",)),
            Part(_checks, needs=("audit.check_results",)),
        ),
    ),
]
