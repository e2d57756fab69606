"""GitHub Copilot usage metrics: the user-level one-day report (`users-1-day`), NDJSON.

Follows GitHub's "Data available in Copilot usage metrics" reference and its
example user-level schema: one object per user and day with `day`, `user_id`,
`user_login`, `user_initiated_interaction_count`, `code_generation_activity_count`,
`code_acceptance_activity_count`, the `loc_*` sums, `used_agent`, `used_chat`,
`used_cli` and the `totals_by_ide` / `totals_by_feature` /
`totals_by_language_feature` / `totals_by_language_model` /
`totals_by_model_feature` breakdowns. Copilot reports no tokens.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

COPILOT_EVENTS = 1004  # random-stream purpose
ENTERPRISE_ID = "4242"
IDES = ("vscode", "jetbrains")
LANGUAGES = ("python", "typescript", "go", "java")
CHAT_MODELS = ("claude-sonnet-4.5", "gpt-4.1")
DAY_USE_PROBABILITY = 0.7  # a Copilot user's chance of showing up on a workday
OFF_DAY_USE_PROBABILITY = 0.05
INTERACTION_MEAN = 6.0
COMPLETIONS_ONLY_SHARE = 0.15  # days with inline completions but no interaction


def _counts(generations: int, acceptances: int, added: int, deleted: int, suggested: int):
    return {
        "code_generation_activity_count": generations,
        "code_acceptance_activity_count": acceptances,
        "loc_added_sum": added,
        "loc_deleted_sum": deleted,
        "loc_suggested_to_add_sum": suggested,
        "loc_suggested_to_delete_sum": deleted,
    }


def _counts_of(feature: dict) -> dict:
    """A feature's counts, as its per-language and per-model breakdowns repeat them."""
    return _counts(
        feature["code_generation_activity_count"],
        feature["code_acceptance_activity_count"],
        feature["loc_added_sum"],
        feature["loc_deleted_sum"],
        feature["loc_suggested_to_add_sum"],
    )


def user_day(
    day: dt.date,
    user_id: int,
    user_login: str,
    *,
    interactions: int,
    completions: int,
    accepted: int,
    agent_edits: int,
    ide: str,
    language: str,
    chat_model: str,
) -> dict:
    """One line of the users-1-day report. `interactions` are chat/agent prompts the
    user sent; `completions`/`accepted` inline suggestions shown/accepted;
    `agent_edits` code generations by agent mode."""
    completion_loc = accepted * 3
    agent_loc = agent_edits * 12
    generations = completions + agent_edits
    acceptances = accepted + agent_edits
    added, suggested = completion_loc + agent_loc, completions * 3 + agent_loc
    deleted = agent_edits * 2
    chat_asks = interactions - min(interactions, agent_edits)
    features = [
        {
            "feature": "code_completion",
            "user_initiated_interaction_count": 0,
            **_counts(completions, accepted, completion_loc, 0, completions * 3),
        }
    ]
    if interactions:
        features.append(
            {
                "feature": "chat_panel_ask_mode",
                "user_initiated_interaction_count": chat_asks,
                **_counts(0, 0, 0, 0, 0),
            }
        )
        if agent_edits:
            features.append(
                {
                    "feature": "chat_panel_agent_mode",
                    "user_initiated_interaction_count": interactions - chat_asks,
                    **_counts(agent_edits, agent_edits, agent_loc, deleted, agent_loc),
                }
            )
    totals = _counts(generations, acceptances, added, deleted, suggested)
    return {
        "day": day.isoformat(),
        "enterprise_id": ENTERPRISE_ID,
        "user_id": user_id,
        "user_login": user_login,
        "user_initiated_interaction_count": interactions,
        **totals,
        "totals_by_ide": [{"ide": ide, "user_initiated_interaction_count": interactions, **totals}],
        "totals_by_feature": features,
        "totals_by_language_feature": [
            {
                "language": language,
                "feature": f["feature"],
                **_counts_of(f),
            }
            for f in features
        ],
        "totals_by_language_model": (
            [
                {
                    "language": language,
                    "model": chat_model,
                    **_counts(agent_edits, agent_edits, agent_loc, deleted, agent_loc),
                }
            ]
            if agent_edits
            else []
        ),
        "totals_by_model_feature": [
            {
                "model": chat_model,
                "feature": f["feature"],
                "user_initiated_interaction_count": f["user_initiated_interaction_count"],
                **_counts_of(f),
            }
            for f in features
            if f["feature"] != "code_completion"
        ],
        "used_agent": interactions > chat_asks,
        "used_chat": chat_asks > 0,
        "used_cli": False,
    }


def draw_user_days(rng: np.random.Generator, users: np.ndarray, workday: bool):
    """Which Copilot users show up today and what they do: arrays per user shown."""
    chance = DAY_USE_PROBABILITY if workday else OFF_DAY_USE_PROBABILITY
    shown = users[rng.random(len(users)) < chance]
    n = len(shown)
    interactions = rng.poisson(INTERACTION_MEAN, n)
    interactions[rng.random(n) < COMPLETIONS_ONLY_SHARE] = 0
    completions = rng.poisson(25, n) + 1
    accepted = rng.binomial(completions, 0.3)
    agent_edits = np.where(rng.random(n) < 0.35, rng.binomial(interactions, 0.5), 0)
    ide = rng.integers(0, len(IDES), n)
    language = rng.integers(0, len(LANGUAGES), n)
    model = rng.integers(0, len(CHAT_MODELS), n)
    return shown, interactions, completions, accepted, agent_edits, ide, language, model
