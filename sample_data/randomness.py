"""Independent, reproducible random streams.

Every stream is keyed by (seed, purpose, day…), so a day can be generated in any
process and in any order, and turning traps on or off (another purpose) never
changes the clean data.
"""

from __future__ import annotations

import numpy as np

POPULATION, USAGE, USAGE_TRAPS, DEPLOYS, DEPLOY_TRAPS, PLAN = range(6)


def stream(seed: int, purpose: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, purpose, *keys])


def choose_from_shares(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    """Indexes drawn with the given (not necessarily normalised) shares."""
    cumulative = np.cumsum(np.asarray(shares, dtype=float))
    return np.searchsorted(cumulative / cumulative[-1], rng.random(size), side="right")


def lognormal_around(rng: np.random.Generator, median, sigma: float, size: int) -> np.ndarray:
    return np.asarray(median, dtype=float) * np.exp(sigma * rng.standard_normal(size))
