"""Planted gaming and its look-alikes: what makes the sample organisation hard to read.

Per org with enough developers, among developers who stay put all period (so
their signal is not blurred by roster events) and who are not already a
tokenmaxxer or a heavy user:

- change splitters: many tiny normalized deployments (~6x the median rate, 1-3
  lines each); half use little AI, half a lot (~3x a typical user's tokens);
- subtle tokenmaxxers: an agent loop sized so their 28-day tokens end near the
  10x line, at `SUBTLE_ABOVE_MULTIPLE` (above it) or `SUBTLE_BELOW_MULTIPLE` (below),
  while they ship half the median;
- busy shippers with agents: ~3x the median changes of normal size, and an
  agent loop that burns ~30x the median tokens on their behalf.

Power users (heavy users, `population.heavy`: ~10x tokens, ~2x output) are
planted by population.py. None of these but the splitters and the subtle
tokenmaxxers above the line may be flagged.

Loop volumes are sized from the expected 28-day tokens of the org's developers
over the last 28 days of the period (an expectation, computed before any
request is drawn), as multiples of `requests_per_dev_day`, so they hold at any
request rate. Drawn from their own random stream: planting never shifts the
population's other draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sample_data import organisation as cfg
from sample_data.randomness import stream

GAMING = 100  # random-stream purpose, apart from randomness.py's

WINDOW_DAYS = 28
SPLITTERS_PER_ORG = 2  # one with little AI use, one with a lot
SUBTLE_ABOVE_PER_ORG = 2
SUBTLE_BELOW_PER_ORG = 2
AGENT_SHIPPERS_PER_ORG = 1
SPLITTER_CHANGE_FACTOR = 6.0  # of the median rate
SPLITTER_MAX_LINES = 3
SPLITTER_INTENSITY = (0.15, 3.0)  # little AI, a lot
# Aimed multiples of the org's median 28-day tokens. The realised multiple
# lands ~20 % under the aim (the realised median runs above the median of the
# expectations), so these aim for ~13.5x and ~5x realised.
SUBTLE_ABOVE_MULTIPLE = 17.0
SUBTLE_BELOW_MULTIPLE = 6.5
SUBTLE_CHANGE_FACTOR = 0.4
AGENT_SHIPPER_MULTIPLE = 30.0
AGENT_SHIPPER_CHANGE_FACTOR = 3.0
MIN_ORG_DEVS_PER_PLANTED = 3


@dataclass
class GamingPlan:
    splitter: np.ndarray  # bool per person
    subtle_above: np.ndarray
    subtle_below: np.ndarray
    agent_shipper: np.ndarray
    loop_rpd_factor: np.ndarray  # agent-loop requests per day, × requests_per_dev_day

    def loop_runners(self, active: np.ndarray) -> np.ndarray:
        return np.flatnonzero((self.loop_rpd_factor > 0) & active)

    def tiny_lines(self, person: int, drawn: int) -> int:
        """A splitter's change keeps 1..SPLITTER_MAX_LINES lines of the drawn size."""
        if person >= 0 and self.splitter[person]:
            return 1 + drawn % SPLITTER_MAX_LINES
        return drawn


def _expected_tokens_per_request(mix: tuple[float, ...]) -> float:
    spread = np.exp(cfg.TOKEN_SIGMA**2 / 2)  # mean of the lognormal over its median
    total = 0.0
    for client, share in enumerate(mix):
        inp, out, write, read = cfg.TOKEN_MEDIANS_BY_CLIENT[client]
        per_request = (
            inp
            + out
            + write * cfg.CACHE_WRITE_SHARE_BY_CLIENT[client]
            + read * cfg.CACHE_READ_SHARE_BY_CLIENT[client]
        )
        total += share * per_request * spread
    return total


def _expected_agent_tokens_per_request() -> float:
    # planted agents draw the agent clients' ordinary sizes (usage_records.AGENT)
    return _expected_tokens_per_request((0.0, 0.0, 0.3, 0.7))


def _expected_window_requests(population, rpd: float = 1.0) -> np.ndarray:
    """Expected requests per person over the last WINDOW_DAYS days, per unit of rpd."""
    # imported here: usage_records imports population, which imports this module
    from sample_data.usage_records import daily_request_means

    days = population.period.days
    total = np.zeros(population.size)
    for day in range(max(0, days - WINDOW_DAYS), days):
        state = population.state_on(day)
        mean, chance = daily_request_means(population, state, day, rpd)
        total += mean * chance
    return total


def plant_gaming(seed: int, population) -> GamingPlan:
    """Pick the planted groups and shape their profiles (in place)."""
    from sample_data.population import NEVER

    pop = population
    n = pop.size
    rng = stream(seed, GAMING)
    teams = pop.teams
    org = teams.org_before[pop.team_before]
    stays_put = (
        (pop.family == cfg.SWE)
        & (pop.hire_day < 0)
        & (pop.term_day == NEVER)
        & (pop.leave_start == NEVER)
        & (pop.move_day == NEVER)
        & (pop.email_change_day == NEVER)
        & (teams.reorg_day[pop.team_before] == NEVER)
        & ~pop.tokenmaxxer
        & ~pop.heavy
    )
    stays_put[[m for m in teams.manager.tolist() if m >= 0]] = False
    plan = GamingPlan(
        splitter=np.zeros(n, bool),
        subtle_above=np.zeros(n, bool),
        subtle_below=np.zeros(n, bool),
        agent_shipper=np.zeros(n, bool),
        loop_rpd_factor=np.zeros(n),
    )
    wanted = SPLITTERS_PER_ORG + SUBTLE_ABOVE_PER_ORG + SUBTLE_BELOW_PER_ORG
    wanted += AGENT_SHIPPERS_PER_ORG
    splitter_intensity = np.zeros(n)
    for o in range(len(pop.org_names)):
        org_devs = int(((org == o) & (pop.family == cfg.SWE)).sum())
        pool = rng.permutation(np.flatnonzero(stays_put & (org == o)))
        # the planted must stay a small minority, or they would move the median they are aimed at
        if org_devs < MIN_ORG_DEVS_PER_PLANTED * wanted or len(pool) < wanted:
            continue
        picks = iter(pool[:wanted].tolist())
        for k in range(SPLITTERS_PER_ORG):
            p = next(picks)
            plan.splitter[p] = True
            splitter_intensity[p] = SPLITTER_INTENSITY[k % len(SPLITTER_INTENSITY)]
        for _ in range(SUBTLE_ABOVE_PER_ORG):
            plan.subtle_above[next(picks)] = True
        for _ in range(SUBTLE_BELOW_PER_ORG):
            plan.subtle_below[next(picks)] = True
        for _ in range(AGENT_SHIPPERS_PER_ORG):
            plan.agent_shipper[next(picks)] = True

    planted = plan.splitter | plan.subtle_above | plan.subtle_below | plan.agent_shipper
    pop.never_user[planted] = False
    pop.adoption_day[planted] = -1
    pop.use_probability[planted] = 0.97
    pop.intensity[planted] = 1.0
    pop.intensity[plan.splitter] = splitter_intensity[plan.splitter]
    pop.change_backlog[planted] = 0.5
    median_rate = cfg.CHANGES_PER_WORKDAY
    pop.change_rate[plan.splitter] = median_rate * SPLITTER_CHANGE_FACTOR
    pop.change_rate[plan.subtle_above | plan.subtle_below] = median_rate * SUBTLE_CHANGE_FACTOR
    pop.change_rate[plan.agent_shipper] = median_rate * AGENT_SHIPPER_CHANGE_FACTOR

    _size_loops(pop, plan, org)
    return plan


def _size_loops(pop, plan: GamingPlan, org: np.ndarray) -> None:
    """Loop requests per day (× rpd) that put each loop runner's expected 28-day
    tokens at its multiple of the org's median developer."""
    requests = _expected_window_requests(pop)
    own = requests * _expected_tokens_per_request(cfg.CLIENT_MIX_NORMAL)
    per_loop_request = _expected_agent_tokens_per_request()
    last = pop.state_on(pop.period.days - 1)
    developers = last.active & (pop.family == cfg.SWE) & (own > 0)
    # everyone planted with a loop, and the tokenmaxxers and heavy users, sit
    # above the median whatever their exact volume
    above = pop.tokenmaxxer | pop.heavy | plan.subtle_above | plan.subtle_below
    above |= plan.agent_shipper
    ranked = np.where(above, np.inf, own)
    targets = (
        (plan.subtle_above, SUBTLE_ABOVE_MULTIPLE),
        (plan.subtle_below, SUBTLE_BELOW_MULTIPLE),
        (plan.agent_shipper, AGENT_SHIPPER_MULTIPLE),
    )
    for o in range(len(pop.org_names)):
        in_org = developers & (last.org == o)
        if not in_org.any():
            continue
        median = float(np.median(ranked[in_org]))
        if not np.isfinite(median):
            continue  # too few ordinary developers for a median to aim at
        for mask, multiple in targets:
            for p in np.flatnonzero(mask & (org == o)).tolist():
                missing = max(0.0, multiple * median - own[p])
                plan.loop_rpd_factor[p] = missing / per_loop_request / WINDOW_DAYS


def truth(pop) -> dict:
    """The planted groups, for _truth.json."""
    plan: GamingPlan | None = pop.gaming
    if plan is None:
        return {}
    return {
        "change_splitter_ids": pop.ids_where(plan.splitter),
        "change_splitter_low_ai_ids": pop.ids_where(plan.splitter & (pop.intensity < 1.0)),
        "subtle_tokenmaxxer_above_ids": pop.ids_where(plan.subtle_above),
        "subtle_tokenmaxxer_below_ids": pop.ids_where(plan.subtle_below),
        "agent_shipper_ids": pop.ids_where(plan.agent_shipper),
        "power_user_ids": pop.ids_where(pop.heavy),
        "multiples": {
            "subtle_above": SUBTLE_ABOVE_MULTIPLE,
            "subtle_below": SUBTLE_BELOW_MULTIPLE,
            "agent_shipper": AGENT_SHIPPER_MULTIPLE,
            "splitter_change_rate": SPLITTER_CHANGE_FACTOR,
        },
    }
