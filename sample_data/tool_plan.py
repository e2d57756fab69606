"""Which tool carries whose AI usage, and the identity map that ties them to people.

`--sources gateway,otel,litellm,copilot` picks the tools. Each person's requests
go through exactly one of the chosen *request* sources (gateway log, Claude Code
OpenTelemetry logs, LiteLLM spend logs), drawn once from the run's seed; Copilot
is an extra tool some people use on some days, with no tokens. Requests that
leave through OTel or LiteLLM are standard tier (only the gateway log carries
the batch tier, sources.md).

Each tool names people its own way: Claude Code by `user.email`, or only by the
account UUID; LiteLLM by `user` holding an email, a LiteLLM user id, or only the
hashed API key; Copilot by GitHub login. `reference/identities.csv` maps the
non-email identities to employee ids, effective-dated: one LiteLLM key changes
hands mid-period (only a point-in-time lookup attributes both holders);
`unmatched_identities` leaves N identities that do occur in the data out of it,
and the truth lists them.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

import numpy as np

from sample_data.population import Population
from sample_data.randomness import stream

SOURCES = ("gateway", "otel", "litellm", "copilot")
REQUEST_SOURCES = ("gateway", "otel", "litellm")
DEFAULT_SOURCES = ("gateway",)
GATEWAY, OTEL, LITELLM = range(3)
# The value of the warehouse's `source` / tool columns for each landing folder.
TOOL_NAMES = {
    "gateway": "gateway",
    "otel": "claude_code",
    "litellm": "litellm",
    "copilot": "copilot",
}

SOURCE_PLAN, IDENTITY_PLAN = 1002, 1005  # random-stream purposes
# Claude Code users signed in with an email (else only the account UUID is sent)
OTEL_EMAIL_SHARE = 0.6
# LiteLLM users: `user` holds the email / a LiteLLM user id / nothing (key only)
LITELLM_IDENTITY_SHARES = (0.5, 0.3, 0.2)
LITELLM_EMAIL, LITELLM_USER, LITELLM_KEY = range(3)
# Claude Code releases before 2.0 sent token counts as strings (stringValue)
OTEL_STRING_COUNT_SHARE = 0.25
COPILOT_USER_SHARE = 0.4
COPILOT_DISPLAY_CASE_SHARE = 0.3  # GitHub logins reported with capitals, mapped lower-case

IDENTITIES_PATH = "reference/identities.csv"
IDENTITIES_HEADER = "employee_id,identity_type,identity_value,effective_from,effective_to"


def parse_sources(value) -> tuple[str, ...]:
    """'otel,litellm' or a sequence of names -> the names in canonical order."""
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip().lower() for n in names if str(n).strip()]
    unknown = sorted(set(names) - set(SOURCES))
    if unknown:
        raise ValueError(
            f"unknown source {unknown[0]!r} in sources (choose from {', '.join(SOURCES)})"
        )
    if not any(n in REQUEST_SOURCES for n in names):
        raise ValueError(
            f"sources must include at least one of {', '.join(REQUEST_SOURCES)} "
            f"(got {','.join(names) or 'nothing'})"
        )
    return tuple(s for s in SOURCES if s in names)


def _digest(*parts) -> bytes:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()


def stable_uuid(*parts) -> str:
    """A UUID4-shaped identifier derived from its parts (same parts, same id)."""
    return str(uuid.UUID(bytes=_digest(*parts)[:16], version=4))


def hashed_key(*parts) -> str:
    """What LiteLLM stores for a virtual key: the SHA-256 hex of the `sk-` key."""
    key = "sk-" + _digest("key", *parts).hex()[:24]
    return hashlib.sha256(key.encode()).hexdigest()


def _login(full_name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", full_name.lower()).strip("-")


@dataclass(frozen=True)
class SourcePlan:
    """Per person (arrays indexed like the population) and per run."""

    sources: tuple[str, ...]
    request_sources: tuple[int, ...]  # codes (GATEWAY, OTEL, LITELLM) in use
    request_source: np.ndarray  # int8: the one request source of each person
    otel_email: np.ndarray  # bool: Claude Code sends user.email
    otel_string_counts: np.ndarray  # bool: token counts as stringValue
    litellm_identity: np.ndarray  # int8: LITELLM_EMAIL / _USER / _KEY
    copilot_user: np.ndarray  # bool
    account_uuid: tuple[str, ...]
    litellm_user: tuple[str, ...]
    api_key: tuple[str, ...]
    github_login: tuple[str, ...]  # lower case, as the identity map holds it
    github_display: tuple[str, ...]  # as GitHub reports it
    organization_id: str
    seed: int
    # (day, giver, taker): the giver's LiteLLM key passes to the taker that day and
    # the giver gets `handover_key`, so one key value names two people, one at a time
    handover: tuple[int, int, int] | None = None
    handover_key: str = ""

    def api_key_on(self, person: int, day: int) -> str:
        if self.handover is not None and day >= self.handover[0]:
            _, giver, taker = self.handover
            if person == giver:
                return self.handover_key
            if person == taker:
                return self.api_key[giver]
        return self.api_key[person]

    @property
    def splits_requests(self) -> bool:
        return self.request_sources != (GATEWAY,)

    def source_of(self, person: np.ndarray, email: np.ndarray) -> np.ndarray:
        """Request source per record; strangers (person < 0) spread by address."""
        known = self.request_source[np.maximum(person, 0)]
        codes = np.array(self.request_sources, np.int8)
        stranger = codes[np.mod(email, len(codes))]
        return np.where(person >= 0, known, stranger).astype(np.int8)

    def stranger_key(self, email: str) -> str:
        return hashed_key(self.seed, "stranger", email)


def plan_sources(seed: int, population: Population, sources: tuple[str, ...]) -> SourcePlan:
    rng = stream(seed, SOURCE_PLAN)
    n = population.size
    request_sources = tuple(REQUEST_SOURCES.index(s) for s in sources if s in REQUEST_SOURCES)
    codes = np.array(request_sources, np.int8)
    request_source = codes[rng.integers(0, len(codes), n)]
    otel_email = rng.random(n) < OTEL_EMAIL_SHARE
    otel_string_counts = rng.random(n) < OTEL_STRING_COUNT_SHARE
    shares = np.cumsum(LITELLM_IDENTITY_SHARES)
    litellm_identity = np.searchsorted(shares / shares[-1], rng.random(n), side="right")
    copilot_user = ("copilot" in sources) & (rng.random(n) < COPILOT_USER_SHARE)
    display_case = rng.random(n) < COPILOT_DISPLAY_CASE_SHARE
    ids = population.employee_id
    logins, taken = [], set()
    for person in range(n):
        base = _login(population.full_name[person]) or "dev"
        login, k = base, 1
        while login in taken:
            k += 1
            login = f"{base}-{k}"
        taken.add(login)
        logins.append(login)
    display = [
        "-".join(part.capitalize() for part in login.split("-")) if display_case[p] else login
        for p, login in enumerate(logins)
    ]
    handover = None
    day = population.period.days // 2
    candidates = np.flatnonzero(
        (request_source == LITELLM)
        & (litellm_identity == LITELLM_KEY)
        & (population.hire_day <= 0)
        & (population.term_day >= population.period.days - 1)
        & ~population.never_user
    )
    takers = candidates[population.adoption_day[candidates] <= day]
    if len(candidates) >= 2 and len(takers) and day >= 1:
        taker = int(rng.choice(takers))
        giver = int(rng.choice(candidates[candidates != taker]))
        handover = (day, giver, taker)
    return SourcePlan(
        handover=handover,
        handover_key=hashed_key(seed, "re-issued", handover[1]) if handover else "",
        sources=sources,
        request_sources=request_sources,
        request_source=request_source.astype(np.int8),
        otel_email=otel_email,
        otel_string_counts=otel_string_counts,
        litellm_identity=litellm_identity.astype(np.int8),
        copilot_user=np.asarray(copilot_user, bool),
        account_uuid=tuple(stable_uuid(seed, "claude-account", e) for e in ids),
        litellm_user=tuple(stable_uuid(seed, "litellm-user", e) for e in ids),
        api_key=tuple(hashed_key(seed, e) for e in ids),
        github_login=tuple(logins),
        github_display=tuple(display),
        organization_id=stable_uuid(seed, "claude-organization"),
        seed=seed,
    )


# --- the identity map ------------------------------------------------------------------

# (identity_type, source of the warehouse) of each identity the tools send
IDENTITY_SOURCES = {
    "claude_account": "claude_code",
    "litellm_user": "litellm",
    "litellm_api_key": "litellm",
    "github_login": "copilot",
}


def identity_value(plan: SourcePlan, identity_type: str, person: int) -> str:
    return {
        "claude_account": plan.account_uuid,
        "litellm_user": plan.litellm_user,
        "litellm_api_key": plan.api_key,
        "github_login": plan.github_login,
    }[identity_type][person]


def identity_rows(plan: SourcePlan, population: Population) -> list[tuple]:
    """(identity_type, value, person, from_day, to_day) of every non-email identity
    the plan hands out: the account UUID of every Claude Code user, the LiteLLM
    user id or key of LiteLLM users not known by email, the GitHub login of every
    Copilot user. from_day None: from the hire; to_day None: open."""
    rows = [(*row, None, None) for row in _lasting_identities(plan, population)]
    if plan.handover is not None:
        day, giver, taker = plan.handover
        key = "litellm_api_key"
        rows = [row for row in rows if not (row[0] == key and row[2] in (giver, taker))]
        rows += [
            (key, plan.api_key[giver], giver, None, day),
            (key, plan.handover_key, giver, day, None),
            (key, plan.api_key[taker], taker, None, day),
            (key, plan.api_key[giver], taker, day, None),
        ]
    return sorted(rows, key=lambda row: (row[2], row[0], row[3] or 0))


def _lasting_identities(plan: SourcePlan, population: Population) -> list[tuple[str, str, int]]:
    rows = []
    for person in range(population.size):
        source = int(plan.request_source[person])
        if source == OTEL:
            rows.append(("claude_account", plan.account_uuid[person], person))
        elif source == LITELLM:
            mode = int(plan.litellm_identity[person])
            if mode == LITELLM_USER:
                rows.append(("litellm_user", plan.litellm_user[person], person))
            elif mode == LITELLM_KEY:
                rows.append(("litellm_api_key", plan.api_key[person], person))
        if plan.copilot_user[person]:
            rows.append(("github_login", plan.github_login[person], person))
    return rows


def choose_unmatched(seed: int, seen: list[tuple[str, str, int]], count: int) -> list[tuple]:
    """`count` identities among those seen in the data, to leave out of the map."""
    if count > len(seen):
        raise ValueError(
            f"unmatched_identities is {count}, but the data uses only {len(seen)} "
            "non-email identities; ask for fewer or for a larger organisation"
        )
    rng = stream(seed, IDENTITY_PLAN)
    ordered = sorted(seen)
    picks = sorted(rng.choice(len(ordered), count, replace=False).tolist()) if count else []
    return [ordered[i] for i in picks]


def identities_csv(
    plan: SourcePlan, population: Population, left_out: set[tuple[str, str]]
) -> bytes:
    period = population.period
    lines = [IDENTITIES_HEADER]
    for identity_type, value, person, from_day, to_day in identity_rows(plan, population):
        if (identity_type, value) in left_out:
            continue
        hired = int(population.hire_day[person])
        start = population.hire_date[person] if hired > 0 else period.start
        if from_day is not None:
            start = period.date(from_day)
        end = "" if to_day is None else period.date(to_day).isoformat()
        lines.append(
            f"{population.employee_id[person]},{identity_type},{value},{start.isoformat()},{end}"
        )
    return ("\n".join(lines) + "\n").encode()


def write_identities(landing, plan: SourcePlan, population: Population, left_out) -> int:
    content = identities_csv(plan, population, left_out)
    landing.write(IDENTITIES_PATH, content)
    return content.count(b"\n") - 1
