"""Drawing AI-gateway requests as columns of numpy arrays (no per-record Python)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from sample_data import organisation as cfg
from sample_data.population import DayState, Population

# AGENT: an agent working for its owner (gaming.py): agent clients, ordinary
# request sizes, around the clock
NORMAL, LOOP, AGENT = 0, 1, 2
SUCCESS, ERROR = 0, 1
STANDARD, BATCH = 0, 1
NULL = -1
MS_PER_DAY = 86_400_000
MS_PER_HOUR = 3_600_000

_CLIENT_MIXES = np.array(
    [cfg.CLIENT_MIX_NORMAL, cfg.CLIENT_MIX_HEAVY, (0.0, 0.0, 0.3, 0.7)], dtype=float
)
_LOOP_CACHE_SHARES = (0.3, 1.0)


def _cumulative(rows) -> np.ndarray:
    table = np.cumsum(np.asarray(rows, dtype=float), axis=1)
    table /= table[:, -1:]
    table[:, -1] = 1.0  # u < 1 always lands inside, whatever the rounding
    return table


_CLIENT_CUMULATIVE = _cumulative(_CLIENT_MIXES)
_MODEL_CUMULATIVE = _cumulative(cfg.MODEL_MIX_BY_CLIENT)
_TOKEN_MEDIANS = np.array(cfg.TOKEN_MEDIANS_BY_CLIENT, dtype=float)
_CACHE_WRITE_SHARE = np.array(cfg.CACHE_WRITE_SHARE_BY_CLIENT)
_CACHE_READ_SHARE = np.array(cfg.CACHE_READ_SHARE_BY_CLIENT)
_OFFSET_MINUTES = np.array([loc[2] for loc in cfg.LOCATIONS])


def _pick_rows(rng: np.random.Generator, cumulative: np.ndarray, row: np.ndarray) -> np.ndarray:
    u = rng.random(len(row))
    return (cumulative[row] <= u[:, None]).sum(axis=1).astype(np.int8)


@dataclass
class Records:
    """One row per request; `email` indexes the process's email table."""

    seq: np.ndarray
    person: np.ndarray
    email: np.ndarray
    client: np.ndarray
    model: np.ndarray
    tier: np.ndarray
    status: np.ndarray
    tokens: np.ndarray  # (n, 4): input, output, cache_creation, cache_read
    latency: np.ndarray
    ms: np.ndarray  # milliseconds into the UTC day of the event
    agent: np.ndarray
    session: np.ndarray
    shard: np.ndarray
    lag: np.ndarray  # days between the event and its delivery partition

    def __len__(self) -> int:
        return len(self.seq)

    def take(self, rows: np.ndarray) -> Records:
        return Records(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Records]) -> Records:
        return Records(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Records)}
        )


def draw_requests(
    rng: np.random.Generator,
    population: Population,
    state: DayState,
    day: int,
    persons: np.ndarray,
    kinds: np.ndarray,
) -> Records:
    """Requests by `persons` (repeated once per request) of the given kinds."""
    n = len(persons)
    heavy = rng.random(n) < population.heaviness_on(day)[persons]
    mix_row = np.where(kinds != NORMAL, 2, np.where(heavy, 1, 0))
    client = _pick_rows(rng, _CLIENT_CUMULATIVE, mix_row)
    model = _pick_rows(rng, _MODEL_CUMULATIVE, client)
    tokens = _draw_tokens(rng, client, kinds)
    status = np.where(rng.random(n) < cfg.ERROR_SHARE, ERROR, SUCCESS).astype(np.int8)
    tokens[status == ERROR, 1] = 0  # a failed call produced nothing
    family = population.family[persons]
    batch_share = np.full(n, cfg.BATCH_SHARE_OTHERS)
    for fam, share in cfg.BATCH_SHARE.items():
        batch_share[family == fam] = share
    batch_share[kinds != NORMAL] = 0.0
    tier = np.where(rng.random(n) < batch_share, BATCH, STANDARD).astype(np.int8)
    latency = (200 + tokens[:, 1] * 12 * np.exp(0.4 * rng.standard_normal(n))).astype(np.int64)
    latency[rng.random(n) < cfg.NULL_LATENCY_SHARE] = NULL
    return Records(
        seq=np.zeros(n, np.int64),
        person=persons.astype(np.int64),
        email=state.email[persons].astype(np.int64),
        client=client,
        model=model,
        tier=tier,
        status=status,
        tokens=tokens,
        latency=latency,
        ms=_draw_times(rng, population, persons, kinds),
        agent=_draw_agents(rng, persons, kinds, client),
        session=_draw_sessions(rng, day, persons, kinds, client),
        shard=rng.integers(0, cfg.GATEWAY_SHARDS, n).astype(np.int8),
        lag=np.zeros(n, np.int8),
    )


def _draw_tokens(rng, client: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    n = len(client)
    medians = _TOKEN_MEDIANS[client]
    loop = kinds == LOOP
    medians[loop] = cfg.LOOP_TOKEN_MEDIANS
    tokens = medians * np.exp(cfg.TOKEN_SIGMA * rng.standard_normal((n, 4)))
    write_share = np.where(loop, _LOOP_CACHE_SHARES[0], _CACHE_WRITE_SHARE[client])
    read_share = np.where(loop, _LOOP_CACHE_SHARES[1], _CACHE_READ_SHARE[client])
    tokens[:, 2] *= rng.random(n) < write_share
    tokens[:, 3] *= rng.random(n) < read_share
    tokens[:, :2] = np.maximum(tokens[:, :2], 1)
    return np.rint(tokens).astype(np.int64)


def _draw_times(rng, population: Population, persons: np.ndarray, kinds: np.ndarray):
    """Office hours in the person's city, folded into the event's UTC day; agent
    loops run around the clock."""
    n = len(persons)
    local = rng.uniform(8.5 * MS_PER_HOUR, 18.5 * MS_PER_HOUR, n)
    offset = _OFFSET_MINUTES[population.location[persons]] * 60_000
    office = np.mod(local - offset, MS_PER_DAY)
    anytime = rng.uniform(0, MS_PER_DAY, n)
    return np.where(kinds != NORMAL, anytime, office).astype(np.int64)


def _draw_agents(rng, persons: np.ndarray, kinds: np.ndarray, client: np.ndarray):
    n = len(persons)
    agentic = np.isin(client, cfg.AGENT_CLIENTS) & (rng.random(n) < cfg.AGENT_ID_SHARE)
    own_agent = persons * 10 + rng.integers(1, 4, n)
    agent = np.where(agentic, own_agent, NULL)
    return np.where(kinds != NORMAL, persons * 10, agent).astype(np.int64)


def _draw_sessions(rng, day: int, persons: np.ndarray, kinds: np.ndarray, client: np.ndarray):
    n = len(persons)
    k = rng.integers(0, cfg.SESSIONS_PER_DAY, n)
    session = (day * 1_000_000 + persons) * 10 + np.where(kinds != NORMAL, 9, k)
    no_session = (client == 1) & (rng.random(n) < 0.2)  # one-off chat questions
    return np.where(no_session, NULL, session).astype(np.int64)


def daily_request_means(population: Population, state: DayState, day: int, rpd: float):
    """Expected requests per person if they use AI that day, and the chance they do."""
    period = population.period
    workday = period.is_workday(day)
    progress = day / max(1, period.days - 1)
    ramp = cfg.INTENSITY_RAMP[0] + (cfg.INTENSITY_RAMP[1] - cfg.INTENSITY_RAMP[0]) * progress
    family_factor = np.array([cfg.FAMILY_REQUEST_FACTOR[f] for f in range(len(cfg.JOB_FAMILIES))])
    heavy_boost = 1 + (cfg.HEAVY_REQUEST_FACTOR - 1) * population.heaviness_on(day)
    mean = rpd * population.intensity * heavy_boost * family_factor[population.family] * ramp
    if not workday:
        mean = mean * cfg.OFF_DAY_VOLUME
    users = state.active & population.adopted_on(day)
    chance = (
        population.use_probability
        if workday
        else np.full(population.size, cfg.OFF_DAY_USE_PROBABILITY)
    )
    return mean, np.where(users, chance, 0.0)


def loop_runners(population: Population, state: DayState, day: int) -> np.ndarray:
    return np.flatnonzero(
        population.tokenmaxxer & state.active & (population.loop_start_day <= day)
    )


def draw_day_requests(
    rng, population: Population, state: DayState, day: int, rpd: float
) -> Records:
    mean, chance = daily_request_means(population, state, day, rpd)
    uses = rng.random(population.size) < chance
    counts = np.where(uses, rng.poisson(mean), 0)
    runners = loop_runners(population, state, day)
    loop_counts = rng.poisson(rpd * cfg.LOOP_REQUESTS_PER_DAY_FACTOR, len(runners))
    agents, agent_counts = _planted_agents(rng, population, state, rpd)
    persons = np.concatenate([np.repeat(np.arange(population.size), counts),
                              np.repeat(runners, loop_counts),
                              np.repeat(agents, agent_counts)])  # fmt: skip
    kinds = np.concatenate([np.full(counts.sum(), NORMAL, np.int8),
                            np.full(loop_counts.sum(), LOOP, np.int8),
                            np.full(agent_counts.sum(), AGENT, np.int8)])  # fmt: skip
    records = draw_requests(rng, population, state, day, persons, kinds)
    records.seq = np.arange(len(records), dtype=np.int64)
    return records


def _planted_agents(rng, population: Population, state: DayState, rpd: float):
    """Agents of the planted subtle tokenmaxxers and busy shippers (gaming.py).
    Their daily count is the expected one, randomly rounded: a steady volume,
    so a planted multiple lands where it was aimed."""
    plan = population.gaming
    if plan is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    owners = plan.loop_runners(state.active)
    expected = rpd * plan.loop_rpd_factor[owners]
    return owners, np.floor(expected + rng.random(len(owners))).astype(np.int64)


def expected_request_count(population: Population, rpd: float) -> float:
    """Expected number of clean usage records of a run (before traps)."""
    total = 0.0
    for day in range(population.period.days):
        state = population.state_on(day)
        mean, chance = daily_request_means(population, state, day, rpd)
        total += float((mean * chance).sum())
        total += len(loop_runners(population, state, day)) * rpd * cfg.LOOP_REQUESTS_PER_DAY_FACTOR
        if population.gaming is not None:
            total += rpd * float(population.gaming.loop_rpd_factor[state.active].sum())
    return total
