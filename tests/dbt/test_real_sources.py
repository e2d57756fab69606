"""The real sources through dbt, end to end on the conformance case.

The extraction of Claude Code telemetry and LiteLLM spend logs is tested on
its own; here the conformance organisation's gateway requests are moved, row
for row, into raw.claude_code_api_requests and raw.litellm_spend_logs as those
extractors would load them (every copy of a request to one source), and dbt
must give the same BI tables: the canonical request, dedupe per source,
attribution, pricing and the marts are written once for every source. Then an
incremental run adds Claude Code usage under an unmapped account and Copilot
days, and the activity fact, AI-active and the unmatched-identities work list
follow.

Marked slow: each dbt invocation costs a few seconds.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from tests.dbt._dbt import (
    BUILD_DATA,
    CONFORMANCE_DIR,
    extract_landing,
    pseudonym_key,
    run_dbt_ok,
)
from tests.dbt.conformance import compare_table

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_real_sources")]

EXPECTED = CONFORMANCE_DIR / "expected"

# Requests every copy of which a real source can carry: standard tier, no
# 1-hour cache writes (only the gateway log reports those).
MOVABLE = """
    CREATE TEMP TABLE movable AS
    SELECT request_id, hash(request_id) % 3 AS target
    FROM raw.usage_requests
    GROUP BY request_id
    HAVING bool_and(coalesce(service_tier, 'standard') = 'standard'
                    AND coalesce(ephemeral_1h_input_tokens, 0) = 0)
"""

# Claude Code keeps no client or agent: only ide_assistant requests without an
# agent go there (they become client claude_code).
TO_CLAUDE_CODE = """
    INSERT INTO raw.claude_code_api_requests
        (dt, source_file, line_number, record_index, event_name, request_id, requested_at,
         user_email, account_uuid, session_id, model, input_tokens, output_tokens,
         cache_read_tokens, cache_creation_tokens, cost_usd, error)
    SELECT u.dt, u.source_file, u.line_number, 0,
           CASE WHEN u.status = 'success' THEN 'api_request' ELSE 'api_error' END,
           u.request_id, u.requested_at, u.user_email, NULL, u.session_id, u.model,
           u.input_tokens, u.output_tokens, u.cache_read_input_tokens,
           u.cache_creation_input_tokens, 0.0, NULL
    FROM raw.usage_requests AS u
    JOIN movable USING (request_id)
    WHERE movable.target = 0
      AND request_id NOT IN (SELECT request_id FROM raw.usage_requests
                             WHERE client <> 'ide_assistant' OR agent_id IS NOT NULL)
"""

# LiteLLM keeps the client in a request tag (after a tag naming no client),
# the model behind a provider prefix, and counts cached tokens in prompt_tokens.
TO_LITELLM = """
    INSERT INTO raw.litellm_spend_logs
        (dt, source_file, line_number, request_id, start_time, litellm_user, api_key,
         request_tags, model, session_id, agent_id, status, prompt_tokens, completion_tokens,
         cache_read_input_tokens, cache_creation_input_tokens, input_tokens, spend)
    SELECT u.dt, u.source_file, u.line_number, u.request_id, u.requested_at, u.user_email,
           'hashed-key', '["team-x", "' || u.client || '"]', 'anthropic/' || u.model,
           u.session_id, u.agent_id,
           CASE WHEN u.status = 'success' THEN 'success' ELSE 'failure' END,
           u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens,
           u.output_tokens, u.cache_read_input_tokens, u.cache_creation_input_tokens,
           u.input_tokens, 0.0
    FROM raw.usage_requests AS u
    JOIN movable USING (request_id)
    WHERE movable.target = 1 AND u.client IS NOT NULL
"""

MOVED = """
    DELETE FROM raw.usage_requests
    WHERE request_id IN (SELECT request_id FROM raw.claude_code_api_requests
                         UNION SELECT request_id FROM raw.litellm_spend_logs)
"""

# fct_token_usage_daily without the client (the one column a source may change)
USAGE_WITHOUT_CLIENT = """
    SELECT CAST(usage_date AS DATE), employee_id, team_id, model,
           sum(requests), sum(error_requests), sum(input_tokens), sum(output_tokens),
           sum(cache_write_tokens), sum(cache_write_1h_tokens), sum(cache_read_tokens),
           sum(total_tokens), round(sum(list_cost_usd), 9), bool_or(is_unpriced)
    FROM {relation} GROUP BY ALL
"""


one_pseudonym_key = pseudonym_key("real-sources-test-key")


@pytest.fixture(scope="module")
def mixed_build(tmp_path_factory, one_pseudonym_key):
    work = tmp_path_factory.mktemp("real_sources")
    db = work / "work.duckdb"
    extract_landing(CONFORMANCE_DIR / "landing", db)
    con = duckdb.connect(str(db))
    for statement in (MOVABLE, TO_CLAUDE_CODE, TO_LITELLM, MOVED):
        con.execute(statement)
    moved = con.execute(
        "SELECT (SELECT count(*) FROM raw.claude_code_api_requests),"
        " (SELECT count(*) FROM raw.litellm_spend_logs),"
        " (SELECT count(*) FROM raw.usage_requests)"
    ).fetchone()
    con.close()
    assert all(moved), f"every source must carry requests: {moved}"
    run_dbt_ok(BUILD_DATA, work, db)
    return work, db


def test_usage_through_every_source_gives_the_gateway_marts(mixed_build):
    _, db = mixed_build
    con = duckdb.connect(str(db), read_only=True)
    try:
        differences = {
            path.stem: compare_table(con, path.stem, path)
            for path in sorted(EXPECTED.glob("*.csv"))
            if path.stem != "marts.fct_token_usage_daily"
        }
        assert not {t: d for t, d in differences.items() if d}, differences
        expected_usage = str(EXPECTED / "marts.fct_token_usage_daily.csv")
        ours = set(
            con.execute(
                USAGE_WITHOUT_CLIENT.format(relation="marts.fct_token_usage_daily")
            ).fetchall()
        )
        theirs = set(
            con.execute(
                USAGE_WITHOUT_CLIENT.format(relation=f"read_csv('{expected_usage}')")
            ).fetchall()
        )
        assert ours == theirs
        # LiteLLM's client comes from its tag, Claude Code's is claude_code
        clients = {
            row[0]
            for row in con.execute(
                "SELECT DISTINCT client FROM marts.fct_token_usage_daily"
            ).fetchall()
        }
        assert "claude_code" in clients and "litellm" not in clients
        # one activity row per day × employee × tool, and every request counted there
        tools = dict(con.execute(
            "SELECT tool, sum(requests_or_interactions) FROM marts.fct_ai_activity_daily GROUP BY tool"
        ).fetchall())  # fmt: skip
        assert set(tools) == {"gateway", "claude_code", "litellm"}
        total = con.execute("SELECT sum(requests) FROM marts.fct_token_usage_daily").fetchone()[0]
        assert sum(tools.values()) == total
    finally:
        con.close()


def test_incremental_run_adds_unmapped_account_and_copilot_days(mixed_build):
    work, db = mixed_build
    con = duckdb.connect(str(db))
    # a developer of some week who is not AI-active in it: a Copilot day makes them so
    week_start, team_id, employee_id, active_before = con.execute(
        """
        SELECT t.week_start, h.team_id, h.employee_id, t.ai_active_developers
        FROM marts.team_weekly_metrics AS t
        JOIN intermediate.int_roster__snapshot_intervals AS s
          ON t.week_start + 6 >= s.valid_from AND (s.valid_to IS NULL OR t.week_start + 6 < s.valid_to)
        JOIN intermediate.int_employees__roster_history AS h
          ON h.snapshot_date = s.snapshot_date AND h.team_id = t.team_id AND h.is_developer
        WHERE NOT EXISTS (
            SELECT 1 FROM marts.fct_ai_activity_daily AS a
            WHERE a.employee_id = h.employee_id AND a.active
              AND a.activity_date BETWEEN t.week_start AND t.week_start + 6)
        ORDER BY 1, 2, 3 LIMIT 1
        """
    ).fetchone()
    day = week_start + dt.timedelta(days=2)
    late_query = (
        "SELECT coalesce(sum(requests), 0) FROM marts.fct_token_usage_daily"
        " WHERE usage_date = ? AND client = 'claude_code' AND employee_id IS NULL"
    )
    late_before = con.execute(late_query, [day]).fetchone()[0]
    con.execute(
        "INSERT INTO raw.identities VALUES ('reference/identities.csv', 2, ?, 'github_login', ' Dev-GH ', ?, NULL)",
        [employee_id, day],
    )
    con.execute(
        "INSERT INTO raw.copilot_user_days (dt, source_file, line_number, day, user_login,"
        " user_initiated_interaction_count) VALUES"
        " (?, 'copilot/x.ndjson', 1, ?, 'dev-gh', 3),"
        # the day before the identity starts: unattributed
        " (?, 'copilot/x.ndjson', 2, ? - 1, 'DEV-GH', 2),"
        " (?, 'copilot/x.ndjson', 3, ?, 'ghost-gh', 0)",
        [day, day, day, day, day, day],
    )
    # Claude Code usage under an account nobody mapped, queued as its extractor does
    con.execute(
        "INSERT INTO raw.claude_code_api_requests (dt, source_file, line_number, record_index,"
        " event_name, request_id, requested_at, account_uuid, session_id, model, input_tokens,"
        " output_tokens, cache_read_tokens, cache_creation_tokens)"
        " VALUES (?, 'otel/late.jsonl', 1, 0, 'api_request', 'cc-late', CAST(? AS TIMESTAMP) + INTERVAL 9 HOUR,"
        " 'ACC-77', 's', 'claude-sonnet-4-5', 100, 10, 0, 0)",
        [day, day],
    )
    con.execute("INSERT INTO raw.usage_days_to_rebuild VALUES (?)", [day])
    con.close()

    run_dbt_ok(["run"], work, db)

    con = duckdb.connect(str(db), read_only=True)
    try:
        active_after = con.execute(
            "SELECT ai_active_developers FROM marts.team_weekly_metrics WHERE week_start = ? AND team_id = ?",
            [week_start, team_id],
        ).fetchone()[0]
        assert active_after == active_before + 1
        copilot = con.execute(
            "SELECT activity_date, employee_id, active, requests_or_interactions, billable_tokens"
            " FROM marts.fct_ai_activity_daily WHERE tool = 'copilot' ORDER BY 1, 2 NULLS LAST"
        ).fetchall()
        assert copilot == [(day - dt.timedelta(days=1), None, True, 2, None),
                           (day, employee_id, True, 3, None), (day, None, False, 0, None)]  # fmt: skip
        unmatched = con.execute(
            "SELECT source, identity_type, identity_value, first_seen, last_seen, events, billable_tokens"
            " FROM restricted.unmatched_identities"
            " WHERE identity_value IN ('acc-77', 'dev-gh', 'ghost-gh') ORDER BY 1, 3"
        ).fetchall()
        assert unmatched == [
            ("claude_code", "claude_account", "acc-77", day, day, 1, 110),
            ("copilot", "github_login", "dev-gh", day - dt.timedelta(days=1),
             day - dt.timedelta(days=1), 2, None),
            ("copilot", "github_login", "ghost-gh", day, day, 0, None),
        ]  # fmt: skip
        # the incremental run rebuilt the queued day with the new source's request
        assert con.execute(late_query, [day]).fetchone()[0] == late_before + 1
    finally:
        con.close()
