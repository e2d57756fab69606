"""Knobs and catalogues of the simulated organisation.

Rates are per-day probabilities or shares unless named otherwise. Trap rates are
multiples of `bad_rate`, so `bad_rate=0` switches every trap off at once.
"""

from __future__ import annotations

import datetime as dt

DEFAULT_EMPLOYEES = 300
DEFAULT_DAYS = 70
DEFAULT_START = dt.date(2026, 1, 5)  # a Monday
DEFAULT_SEED = 7
DEFAULT_REQUESTS_PER_DEV_DAY = 20.0
DEFAULT_BAD_RATE = 0.01

MAX_BAD_RATE = 0.5
MAX_DAYS = 3_660
MAX_EMPLOYEES = 200_000
MAX_REQUESTS_PER_DEV_DAY = 100_000.0

EMAIL_DOMAIN = "example.com"

# --- organisation -----------------------------------------------------------------
PEOPLE_PER_ORG = 100
MAX_ORGS = 12
PEOPLE_PER_TEAM = 8
MIN_TEAM_SIZE_WITH_MANAGER = 3

ORG_NAMES = (
    "Platform", "Growth", "Payments", "Data", "Mobile", "Infrastructure",
    "Search", "Security", "Commerce", "Ads", "Maps", "Identity",
)  # fmt: skip
TEAM_SUFFIXES = (
    "Core", "API", "Web", "Insights", "Reliability", "Tooling", "Experience",
    "Billing", "Pipelines", "Mobile", "Edge", "Foundations", "Quality", "Analytics",
)  # fmt: skip

JOB_FAMILIES = (
    "software_engineer",
    "engineering_manager",
    "product_manager",
    "data_scientist",
    "designer",
    "other",
)
SWE, EM, PM, DS, DESIGNER, OTHER = range(len(JOB_FAMILIES))
# Shares of team members who are not the team's manager.
MEMBER_FAMILY_SHARES = {SWE: 0.74, PM: 0.07, DS: 0.07, DESIGNER: 0.05, OTHER: 0.07}

LEVELS = ("L3", "L4", "L5", "L6", "L7", "L8")
MEMBER_LEVEL_SHARES = (0.20, 0.35, 0.30, 0.12, 0.03, 0.0)
TEAM_MANAGER_LEVEL, DIRECTOR_LEVEL, HEAD_LEVEL = 3, 4, 5  # indexes into LEVELS
BASE_SALARY_BY_LEVEL = (130_000, 160_000, 195_000, 235_000, 285_000, 340_000)

# name, salary factor, UTC offset in minutes (people work 09:00-18:00 local)
LOCATIONS = (
    ("Dublin", 1.00, 0),
    ("London", 1.05, 0),
    ("Berlin", 0.95, 60),
    ("New York", 1.25, -300),
    ("San Francisco", 1.35, -480),
    ("Bangalore", 0.45, 330),
)
LOCATION_SHARES = (0.25, 0.15, 0.10, 0.20, 0.15, 0.15)

FIRST_NAMES = (
    "Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Margaret", "Ken",
    "Frances", "Dennis", "Radia", "Linus", "Hedy", "Tim", "Karen", "John",
    "Sophie", "Guido", "Anita", "Bjarne", "Shafi", "Leslie", "Jean", "Niklaus",
    "Adele", "Tony", "Lynn", "Fernando", "Mary", "Yukihiro", "Carol", "James",
    "Amara", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ines", "Jun",
    "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Hamilton",
    "Thompson", "Allen", "Ritchie", "Perlman", "Torvalds", "Lamarr", "Berners",
    "Jones", "McCarthy", "Wilson", "Rossum", "Borg", "Stroustrup", "Goldwasser",
    "Lamport", "Sammet", "Wirth", "Goldberg", "Hoare", "Conway", "Corbato",
    "Keller", "Matsumoto", "Shaw", "Gosling", "Okafor", "Wei", "Murphy", "Katz",
    "Haddad", "Petrov", "Sato", "Silva", "Park", "Mensah", "Vogel", "Rossi",
    "Khan", "Farouk", "Iyer", "Byrne", "Alvarez", "Lind",
)  # fmt: skip

# --- roster events over the period (per employee per year unless noted) -----------
HIRES_PER_YEAR = 0.15
TERMINATIONS_PER_YEAR = 0.12
LEAVES_PER_YEAR = 0.10
TEAM_MOVES_PER_YEAR = 0.30
EMAIL_CHANGES_PER_YEAR = 0.10
LEAVE_DAYS = (5, 30)
MIN_PEOPLE_FOR_EVENTS = 12  # below this every person stays put all period

# --- AI usage ---------------------------------------------------------------------
NEVER_USER_SHARE_DEV = 0.12
NEVER_USER_SHARE_OTHER = 0.35
ADOPTED_AT_START = 0.55  # of the eventual users
FAMILY_REQUEST_FACTOR = {SWE: 1.0, EM: 0.4, PM: 0.5, DS: 0.9, DESIGNER: 0.3, OTHER: 0.2}
INTENSITY_SIGMA = 0.6
WEEKDAY_USE_PROBABILITY = (0.75, 0.98)  # per-person propensity, drawn uniformly
OFF_DAY_USE_PROBABILITY = 0.06
OFF_DAY_VOLUME = 0.4
INTENSITY_RAMP = (0.85, 1.15)  # usage per user grows over the period

CLIENTS = ("ide_assistant", "chat", "cli_agent", "meshclaw")
CLIENT_MIX_NORMAL = (0.62, 0.28, 0.08, 0.02)
CLIENT_MIX_HEAVY = (0.30, 0.10, 0.45, 0.15)
HEAVY_REQUEST_FACTOR = 2.2
# Heavy users' tokens grow over the period: typical on day 0, ~10x a typical
# user's by this share of the period. They ship ~2x throughout.
HEAVY_RAMP_SHARE = 0.5
AGENT_CLIENTS = (2, 3)  # cli_agent, meshclaw

MODELS = ("claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5", "claude-3-5-haiku")
UNPRICED_MODEL = "claude-3-5-haiku"  # price book has no cache rows for it
# model mix per client (rows follow CLIENTS)
MODEL_MIX_BY_CLIENT = (
    (0.55, 0.05, 0.38, 0.02),
    (0.60, 0.25, 0.13, 0.02),
    (0.70, 0.25, 0.04, 0.01),
    (0.80, 0.15, 0.05, 0.00),
)
# median tokens per request by client: input, output, cache_write, cache_read
TOKEN_MEDIANS_BY_CLIENT = (
    (1_500, 250, 800, 3_000),
    (800, 500, 0, 0),
    (6_000, 900, 5_000, 40_000),
    (8_000, 1_200, 6_000, 60_000),
)
# chance that a request has a non-zero cache_write / cache_read count, by client
CACHE_WRITE_SHARE_BY_CLIENT = (0.10, 0.00, 0.20, 0.25)
CACHE_READ_SHARE_BY_CLIENT = (0.50, 0.05, 0.85, 0.90)
TOKEN_SIGMA = 0.7
ERROR_SHARE = 0.02
BATCH_SHARE = {DS: 0.05}
BATCH_SHARE_OTHERS = 0.004
NULL_LATENCY_SHARE = 0.01
AGENT_ID_SHARE = 0.5  # of cli_agent / meshclaw requests made by ordinary users
SESSIONS_PER_DAY = 4

# tokenmaxxers: an agent loop running every day on top of their own usage
LOOP_REQUESTS_PER_DAY_FACTOR = 1.5  # × requests_per_dev_day
LOOP_TOKEN_MEDIANS = (20_000, 1_500, 10_000, 150_000)
TOKENMAXXER_SHARE_OF_ORG_DEVS = 0.015
HEAVY_SHARE_OF_ORG_DEVS = 0.05
MIN_ORG_DEVS_FOR_SPECIALS = 10
LOOP_START_WITHIN = 0.25  # share of the period by which every loop has started

GATEWAY_SHARDS = 3
# shard -> how its gateway writes timestamps: UTC offset in minutes, suffix for UTC
SHARD_TIME_FORMATS = ((0, "Z"), (0, "+00:00"), (-300, None))
DISPLAY_CASE_SHARD = 2  # this gateway logs emails as the identity provider spells them

# --- deployments --------------------------------------------------------------------
CHANGES_PER_WORKDAY = 0.30  # median author
CHANGE_RATE_SIGMA = 0.35
CHANGE_FAMILY_FACTOR = {SWE: 1.0, EM: 0.15, DS: 0.2}
HEAVY_CHANGE_FACTOR = 2.2  # of the median rate, not of their own
TOKENMAXXER_CHANGE_FACTOR = 0.4
ADOPTED_CHANGE_BOOST = 1.15
OFF_DAY_CHANGE_FACTOR = 0.03
REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")
REGION_COUNT_SHARES = (0.3, 0.4, 0.3)
STAGING_REGION = "us-east-1"
DEVELOPMENT_SHARE = 0.03
STAGING_ONLY_SHARE = 0.05
STAGING_CANCELLED_SHARE = 0.02
RETRY_SHARE = 0.06  # per production region
ROLLBACK_WITHIN_7D_SHARE = 0.04
ROLLBACK_AFTER_7D_SHARE = 0.01
BOT_CHANGE_SHARE = 0.03
BOT_EMAILS = ("release-bot@ci.example", "dependabot@ci.example")
OFFSET_TIMESTAMP_SHARE = 0.2  # deploy rows written in the author's local offset
CAPITALISED_ENVIRONMENT_SHARE = 0.02
AI_ASSISTED_NOT_ADOPTED = 0.10
AI_ASSISTED_ADOPTED = (0.40, 0.85)  # grows with the author's usage intensity
AI_ASSISTED_HEAVY = 0.92

# --- traps (multiples of bad_rate) --------------------------------------------------
USAGE_BAD_LINE_SHARES = {
    "invalid_json": 0.25,
    "missing_field": 0.15,
    "wrong_type": 0.20,
    "negative_count": 0.15,
    "invalid_timestamp": 0.15,
    "timestamp_after_delivery": 0.10,
}
DEPLOY_BAD_ROW_SHARES = {
    "wrong_field_count": 0.25,
    "invalid_value": 0.30,
    "missing_field": 0.10,
    "wrong_type": 0.10,
    "negative_count": 0.10,
    "invalid_timestamp": 0.10,
    "timestamp_after_delivery": 0.05,
}
LATE_FACTOR = 5.0  # share of records delivered 1-3 days late = LATE_FACTOR × bad_rate
MAX_LATE_DAYS = 3
DUPLICATE_IDENTICAL_FACTOR = 0.5
DUPLICATE_CONFLICTING_FACTOR = 0.5
UNKNOWN_EMAIL_FACTOR = 0.5
REDELIVERY_DAY_FACTOR = 5.0  # chance per day of re-delivering one file
TRUNCATED_DAY_FACTOR = 3.0  # chance per day of one truncated gzip
MISSING_ROSTER_DAY_FACTOR = 5.0  # chance per regular snapshot day of being dropped
DEEP_IN_FILE = 0.8  # type drift is planted after this share of a file's lines

QUARANTINE_REASONS = (
    "invalid_json",
    "wrong_field_count",
    "missing_field",
    "wrong_type",
    "negative_count",
    "invalid_timestamp",
    "timestamp_after_delivery",
    "invalid_value",
)
WHOLE_FILE_REASONS = ("truncated_gzip",)

# --- reference -----------------------------------------------------------------------
# model -> (input, output, cache_write, cache_read) USD per million tokens; None = no row
PRICES = {
    "claude-sonnet-4-5": (3.00, 15.00, 3.75, 0.30),
    "claude-opus-4-1": (15.00, 75.00, 18.75, 1.50),
    "claude-haiku-4-5": (1.00, 5.00, 1.25, 0.10),
    "claude-3-5-haiku": (0.80, 4.00, None, None),
}
PRICE_CHANGE_MODEL = "claude-sonnet-4-5"
PRICE_CHANGE_FACTOR = 0.8
PRICE_CHANGE_AT = 0.6  # share of the period
SEAT_USD_PER_MONTH = 39.00
TOKEN_TYPES = ("input", "output", "cache_write", "cache_read")
