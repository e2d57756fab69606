"""Denominators of the per-team weekly ratios, and their week-over-week movement."""

from __future__ import annotations

import pandas as pd

from data_quality.config import DQConfig
from data_quality.core import (
    Connection,
    Outcome,
    Scope,
    fmt,
    frame,
    number,
    records,
)
from data_quality.expectations import column, is_true, validate_one

WEEKLY = "marts.team_weekly_metrics"


def _weekly(con: Connection) -> pd.DataFrame:
    # Team-week rows are few (teams × weeks), so GE sees them row by row.
    return frame(
        con,
        f"""
        SELECT week_start, team_id, coalesce(developers, 0) AS developers, ai_active_developers,
               adoption_rate, normalized_deployments, normalized_deployments_per_developer
        FROM {WEEKLY} ORDER BY week_start, team_id
        """,
    )


def teams_with_deployments_have_developers(
    con: Connection, config: DQConfig, scope: Scope
) -> Outcome:
    weekly = _weekly(con)
    allowed = config.max_team_weeks_without_developers_share
    verdicts, without = validate_one(
        weekly,
        "developers_behind_deployments",
        "ExpectColumnValuesToBeBetween",
        column="developers",
        min_value=1,
        row_condition=column("normalized_deployments") > 0,
        mostly=1.0 - allowed,
    )
    verdict = verdicts["developers_behind_deployments"]
    # GE's element count is the team-weeks its row condition kept.
    with_deployments = verdict.element_count or 0
    share = len(without) / with_deployments if with_deployments else 0.0
    return Outcome.from_verdicts(
        verdicts,
        observed=share,
        threshold=allowed,
        summary=(
            f"{len(without)} of {with_deployments} team-weeks with normalized deployments have "
            f"0 developers ({fmt(share)}; {fmt(without.normalized_deployments.sum())} deployments "
            f"without a per-developer denominator)"
        ),
        figures={
            "team_weeks_with_deployments": with_deployments,
            "team_weeks_without_developers": len(without),
            "deployments_without_developers": int(without.normalized_deployments.sum()),
            "offenders": records(without[["week_start", "team_id", "normalized_deployments"]]),
        },
    )


def _top_author_deployments(con: Connection) -> pd.DataFrame:
    """Per team-week, the normalized deployments of its busiest author."""
    return frame(
        con,
        """
        WITH per_author AS (
            SELECT CAST(date_trunc('week', delivered_date) AS DATE) AS week_start, team_id,
                   employee_id, count(*) AS deployments
            FROM marts.fct_normalized_deployments
            WHERE is_normalized AND team_id IS NOT NULL
            GROUP BY ALL
        )
        SELECT week_start, team_id, max(deployments) AS top_author_deployments
        FROM per_author GROUP BY ALL
        """,
    )


def deployments_per_developer_plausible(con: Connection, config: DQConfig, scope: Scope) -> Outcome:
    weekly = _weekly(con).merge(
        _top_author_deployments(con), on=["week_start", "team_id"], how="left"
    )
    weekly["top_author_deployments"] = weekly.top_author_deployments.fillna(0)
    limit = config.max_deployments_per_developer_week
    ratio = weekly.normalized_deployments_per_developer
    # That the published ratio is deployments / developers of its row, never
    # negative, is a dbt test of team_weekly_metrics. One developer's many tiny changes (gaming) must not stop the publish:
    # that is a finding (developer_signals_daily.is_change_splitting_suspect),
    # not a data fault. A fault (double counting, a shrunken denominator)
    # inflates the whole team, so the bound is judged on the team without its
    # busiest author; a team with one developer cannot be judged this way.
    others = weekly.developers - 1
    weekly["others_per_developer"] = (
        weekly.normalized_deployments - weekly.top_author_deployments
    ) / others.where(others > 0)
    verdicts, bad = validate_one(
        weekly,
        "ratio_plausible_without_busiest_author",
        "ExpectColumnValuesToBeBetween",
        column="others_per_developer",
        min_value=0,
        max_value=limit,
    )
    others_ratio = weekly.others_per_developer
    # For context: above the limit only through the busiest author.
    one_author = weekly[(ratio > limit) & ~weekly.index.isin(bad.index)]
    columns = [
        "week_start",
        "team_id",
        "developers",
        "normalized_deployments",
        "top_author_deployments",
        "normalized_deployments_per_developer",
        "others_per_developer",
    ]
    return Outcome.from_verdicts(
        verdicts,
        observed=number(others_ratio.max()),
        threshold=limit,
        summary=(
            f"normalized deployments per developer without each team's busiest author peak at "
            f"{fmt(others_ratio.max())} (limit {fmt(limit)}; published figure peaks at "
            f"{fmt(ratio.max())}); {len(bad)} team-weeks implausible; {len(one_author)} above the limit only through one author "
            f"(a gaming finding, see restricted.developer_signals_daily)"
        ),
        figures={
            "max_per_developer": number(ratio.max()),
            "max_per_developer_without_busiest_author": number(others_ratio.max()),
            "offenders": records(bad[columns]),
            "one_author_team_weeks": records(one_author[columns]),
        },
    )


def _org_weeks(con: Connection) -> pd.DataFrame:
    # Only whole weeks inside the covered days compare fairly: the first and
    # the current week are partial and would always look like a jump or a drop.
    return frame(
        con,
        f"""
        WITH covered AS (
            SELECT min(cost_date) AS first_day, max(cost_date) AS last_day
            FROM marts.fct_ai_cost_daily
        ), weeks AS (
            SELECT week_start, sum(normalized_deployments) AS normalized_deployments,
                   sum(developers) AS developers
            FROM {WEEKLY} GROUP BY week_start
        )
        SELECT weeks.*, normalized_deployments / nullif(developers, 0) AS per_developer
        FROM weeks CROSS JOIN covered
        WHERE week_start >= covered.first_day AND week_start + 6 <= covered.last_day
        ORDER BY week_start
        """,
    )


def _transitions(weeks: pd.DataFrame, config: DQConfig) -> pd.DataFrame:
    previous = weeks.shift(1)
    moves = pd.DataFrame(
        {
            "week_start": weeks.week_start,
            "previous_week": previous.week_start,
            "normalized_deployments": weeks.normalized_deployments,
            "previous_normalized_deployments": previous.normalized_deployments,
            "per_developer": weeks.per_developer,
            "previous_per_developer": previous.per_developer,
        }
    )
    consecutive = (moves.week_start - moves.previous_week).dt.days == 7
    moves = moves[consecutive].tail(config.wow_weeks).copy()
    base = moves.previous_per_developer.where(moves.previous_per_developer > 0)
    moves["relative_change"] = moves.per_developer / base - 1
    volume = moves[["normalized_deployments", "previous_normalized_deployments"]].max(axis=1)
    moves["judged"] = moves.relative_change.notna() & (volume >= config.wow_min_weekly_deployments)
    return moves


def _team_moves(con: Connection, week, config: DQConfig) -> pd.DataFrame:
    """Teams behind the newest judged move, for context: team series are too
    noisy to fail on, but they say where an org-wide move comes from."""
    moves = frame(
        con,
        f"""
        WITH now AS (SELECT * FROM {WEEKLY} WHERE week_start = ?),
        prev AS (SELECT * FROM {WEEKLY} WHERE week_start = ? - 7)
        SELECT now.team_id, prev.normalized_deployments_per_developer AS previous_per_developer,
               now.normalized_deployments_per_developer AS per_developer,
               now.normalized_deployments_per_developer
                   / nullif(prev.normalized_deployments_per_developer, 0) - 1 AS relative_change
        FROM now JOIN prev ON now.team_id = prev.team_id
        WHERE now.developers >= ? AND prev.developers >= ?
        """,
        params=[week, week, config.wow_min_team_developers, config.wow_min_team_developers],
    )
    moved = moves[moves.relative_change.abs() > config.wow_max_relative_change]
    return moved.reindex(moved.relative_change.abs().sort_values(ascending=False).index)


def deployments_per_developer_week_over_week(
    con: Connection, config: DQConfig, scope: Scope
) -> Outcome:
    moves = _transitions(_org_weeks(con), config)
    limit = config.wow_max_relative_change
    verdicts, flagged = validate_one(
        moves,
        "org_move_within_limit",
        "ExpectColumnValuesToBeBetween",
        column="relative_change",
        min_value=-limit,
        max_value=limit,
        row_condition=is_true("judged"),
    )
    judged = moves[moves.judged]
    observed = number(judged.relative_change.abs().max()) if len(judged) else None
    teams = pd.DataFrame()
    if len(judged):
        newest = judged.week_start.iloc[-1].date()
        teams = _team_moves(con, newest, config)
    described = "; ".join(
        f"{r.week_start.date()}: {fmt(r.previous_per_developer)} → {fmt(r.per_developer)} "
        f"({fmt(r.relative_change)}{'' if r.judged else ', not judged: too few deployments'})"
        for r in moves.itertuples()
    )
    return Outcome.from_verdicts(
        verdicts,
        observed=observed,
        threshold=limit,
        summary=(
            f"org-wide normalized deployments per developer, week over week: "
            f"{described or 'fewer than two complete weeks'}; {len(flagged)} moves beyond ±{fmt(limit)}"
        ),
        figures={
            "weeks": records(moves),
            "flagged_weeks": records(flagged),
            "team_moves_in_newest_week": records(teams),
        },
    )
