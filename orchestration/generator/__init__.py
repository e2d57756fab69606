"""The sample organisation generator behind `aiw generate`."""

from orchestration.generator.landing import generate_landing
from orchestration.generator.settings import (
    DEFAULT_BAD_RATE,
    DEFAULT_DAYS,
    DEFAULT_EMPLOYEES,
    DEFAULT_REQUESTS_PER_DEV_DAY,
    DEFAULT_SEED,
    DEFAULT_START,
)

__all__ = [
    "DEFAULT_BAD_RATE",
    "DEFAULT_DAYS",
    "DEFAULT_EMPLOYEES",
    "DEFAULT_REQUESTS_PER_DEV_DAY",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "generate_landing",
]
