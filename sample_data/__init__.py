"""The sample organisation generator behind `aiw generate`."""

from sample_data.generate import generate_landing
from sample_data.organisation import (
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
