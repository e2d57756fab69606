"""The simulated organisation: orgs, teams, people and what happens to them.

Each person has at most one of each roster event over the period (a hire, a
termination, a leave, a team move, an email change), so the state on any day is
a handful of vectorised comparisons and memory stays per-person, whatever the
length of the period.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np

from sample_data import organisation as cfg
from sample_data.gaming import GamingPlan, plant_gaming
from sample_data.randomness import POPULATION, choose_from_shares, stream
from sample_data.workdays import Period

NEVER = 1_000_000  # a day index later than any period
NOT_ADOPTED = NEVER


@dataclass(frozen=True)
class DayState:
    """Where everyone stands on one day (arrays over all people)."""

    employed: np.ndarray
    on_leave: np.ndarray
    active: np.ndarray
    team: np.ndarray
    email: np.ndarray  # index into Population.emails
    org: np.ndarray


@dataclass
class Teams:
    team_id: list[str]
    name: list[str]
    service: list[str]
    org_before: np.ndarray
    org_after: np.ndarray
    reorg_day: np.ndarray
    manager: np.ndarray  # person index, -1 when the team is too small for one

    def org_on(self, day: int) -> np.ndarray:
        return np.where(day >= self.reorg_day, self.org_after, self.org_before)


@dataclass
class Population:
    period: Period
    org_names: list[str]
    teams: Teams
    employee_id: list[str]
    full_name: list[str]
    family: np.ndarray
    level: np.ndarray
    salary: np.ndarray
    location: np.ndarray
    hire_day: np.ndarray
    hire_date: list[dt.date]
    term_day: np.ndarray  # last working day
    leave_start: np.ndarray
    leave_end: np.ndarray  # exclusive
    team_before: np.ndarray
    team_after: np.ndarray
    move_day: np.ndarray
    emails: list[str]
    display_emails: list[str]
    email_before: np.ndarray
    email_after: np.ndarray
    email_change_day: np.ndarray
    director_of_org: np.ndarray
    head: int
    never_user: np.ndarray
    adoption_day: np.ndarray
    intensity: np.ndarray
    use_probability: np.ndarray
    change_rate: np.ndarray
    change_backlog: np.ndarray  # initial fraction of a change already in the works
    heavy: np.ndarray
    tokenmaxxer: np.ndarray
    loop_start_day: np.ndarray
    reorg: dict = field(default_factory=dict)
    gaming: GamingPlan | None = None  # planted gaming and its look-alikes (gaming.py)

    @property
    def size(self) -> int:
        return len(self.employee_id)

    def state_on(self, day: int) -> DayState:
        employed = (self.hire_day <= day) & (day <= self.term_day)
        on_leave = employed & (self.leave_start <= day) & (day < self.leave_end)
        team = np.where(day >= self.move_day, self.team_after, self.team_before)
        email = np.where(day >= self.email_change_day, self.email_after, self.email_before)
        return DayState(
            employed=employed,
            on_leave=on_leave,
            active=employed & ~on_leave,
            team=team,
            email=email,
            org=self.teams.org_on(day)[team],
        )

    def manager_on(self, person: int, team: int, org: int) -> int:
        """Team manager, else the org's director, else the head; -1 for the head."""
        # a manager is their own team's boss, so they report one level up
        for boss in (int(self.teams.manager[team]), int(self.director_of_org[org]), self.head):
            if boss >= 0 and boss != person:
                return boss
        return -1

    def heaviness_on(self, day: int) -> np.ndarray:
        """0 for everyone but heavy users, who grow from 0 to 1 over the ramp."""
        ramp_days = max(1.0, self.period.days * cfg.HEAVY_RAMP_SHARE)
        return np.where(self.heavy, min(1.0, day / ramp_days), 0.0)

    def adopted_on(self, day: int) -> np.ndarray:
        return ~self.never_user & (self.adoption_day <= day)

    def ids_where(self, mask: np.ndarray) -> list[str]:
        return [self.employee_id[i] for i in np.flatnonzero(mask)]


# --- construction ---------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _build_teams(rng: np.random.Generator, employees: int) -> tuple[list[str], Teams]:
    n_orgs = int(min(cfg.MAX_ORGS, max(1, round(employees / cfg.PEOPLE_PER_ORG))))
    n_teams = int(min(employees, max(n_orgs, round(employees / cfg.PEOPLE_PER_TEAM))))
    org_names = list(cfg.ORG_NAMES[:n_orgs])
    names, services = [], []
    for t in range(n_teams):
        org, rank = t % n_orgs, t // n_orgs
        suffix = cfg.TEAM_SUFFIXES[rank % len(cfg.TEAM_SUFFIXES)]
        round_ = rank // len(cfg.TEAM_SUFFIXES)
        name = f"{org_names[org]} {suffix}" + (f" {round_ + 1}" if round_ else "")
        names.append(name)
        services.append(_slug(name))
    org = np.arange(n_teams) % n_orgs
    teams = Teams(
        team_id=[f"T{t + 1:03d}" for t in range(n_teams)],
        name=names,
        service=services,
        org_before=org.copy(),
        org_after=org.copy(),
        reorg_day=np.full(n_teams, NEVER),
        manager=np.full(n_teams, -1),
    )
    return org_names, teams


class _EmailBook:
    """Hands out addresses that were never used by anybody before."""

    def __init__(self) -> None:
        self.emails: list[str] = []
        self.display: list[str] = []
        self._taken: set[str] = set()

    def new(self, local_parts: tuple[str, ...]) -> int:
        base = ".".join(p.lower() for p in local_parts)
        candidate, n = base, 1
        while f"{candidate}@{cfg.EMAIL_DOMAIN}" in self._taken:
            n += 1
            candidate = f"{base}{n}"
        address = f"{candidate}@{cfg.EMAIL_DOMAIN}"
        self._taken.add(address)
        self.emails.append(address)
        # how an identity provider spells it: capitalised name parts and domain
        display_local = ".".join(part.capitalize() for part in candidate.split("."))
        self.display.append(f"{display_local}@{cfg.EMAIL_DOMAIN.capitalize()}")
        return len(self.emails) - 1


@dataclass
class _People:
    """Columns filled while building, turned into arrays at the end."""

    team: list[int] = field(default_factory=list)
    family: list[int] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    location: list[int] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    hire_day: list[int] = field(default_factory=list)
    hire_date: list[dt.date] = field(default_factory=list)
    email: list[int] = field(default_factory=list)

    def add(self, rng, book: _EmailBook, *, team, family, level, hire_day, hire_date) -> None:
        first = cfg.FIRST_NAMES[rng.integers(len(cfg.FIRST_NAMES))]
        last = cfg.LAST_NAMES[rng.integers(len(cfg.LAST_NAMES))]
        self.team.append(team)
        self.family.append(family)
        self.level.append(level)
        self.location.append(int(choose_from_shares(rng, cfg.LOCATION_SHARES, 1)[0]))
        self.first.append(first)
        self.last.append(last)
        self.hire_day.append(hire_day)
        self.hire_date.append(hire_date)
        self.email.append(book.new((first, last)))


def _member_family_and_level(rng: np.random.Generator) -> tuple[int, int]:
    families = list(cfg.MEMBER_FAMILY_SHARES)
    family = families[int(choose_from_shares(rng, list(cfg.MEMBER_FAMILY_SHARES.values()), 1)[0])]
    level = int(choose_from_shares(rng, cfg.MEMBER_LEVEL_SHARES, 1)[0])
    return family, level


def _staff_initial_people(rng, period: Period, employees: int, teams: Teams, book, people) -> None:
    n_teams = len(teams.team_id)
    team_of = rng.permutation(np.arange(employees) % n_teams)
    team_sizes = np.bincount(team_of, minlength=n_teams)
    for person in range(employees):
        team = int(team_of[person])
        family, level = _member_family_and_level(rng)
        if teams.manager[team] < 0 and team_sizes[team] >= cfg.MIN_TEAM_SIZE_WITH_MANAGER:
            teams.manager[team] = person
            family, level = cfg.EM, cfg.TEAM_MANAGER_LEVEL
        tenure = int(rng.integers(30, 6 * 365))
        hire_date = period.start - dt.timedelta(days=tenure)
        people.add(rng, book, team=team, family=family, level=level,
                   hire_day=-tenure, hire_date=hire_date)  # fmt: skip


def _appoint_directors(org_names, teams: Teams, people: _People) -> tuple[np.ndarray, int]:
    director = np.full(len(org_names), -1)
    for org in range(len(org_names)):
        managed = [t for t in range(len(teams.team_id))
                   if teams.org_before[t] == org and teams.manager[t] >= 0]  # fmt: skip
        if managed:
            director[org] = teams.manager[managed[0]]
            people.level[director[org]] = cfg.DIRECTOR_LEVEL
    head = int(director[0])
    if head >= 0:
        people.level[head] = cfg.HEAD_LEVEL
    return director, head


def _event_count(rng, employees: int, per_year: float, days: int) -> int:
    if employees < cfg.MIN_PEOPLE_FOR_EVENTS or days < 2:
        return 0
    return max(1, int(rng.poisson(employees * per_year * days / 365)))


@dataclass
class _Events:
    term_day: np.ndarray
    leave_start: np.ndarray
    leave_end: np.ndarray
    team_after: np.ndarray
    move_day: np.ndarray
    email_after: np.ndarray
    email_change_day: np.ndarray


def _plan_events(rng, period: Period, employees: int, teams: Teams, people: _People, book):
    """Terminations, leaves, moves and email changes for disjoint sets of people who
    manage nobody, so the management chain never breaks."""
    n = len(people.team)
    events = _Events(
        term_day=np.full(n, NEVER),
        leave_start=np.full(n, NEVER),
        leave_end=np.full(n, NEVER),
        team_after=np.array(people.team),
        move_day=np.full(n, NEVER),
        email_after=np.array(people.email),
        email_change_day=np.full(n, NEVER),
    )
    managers = set(int(m) for m in teams.manager if m >= 0)
    candidates = [p for p in rng.permutation(n).tolist() if p not in managers]
    days = period.days
    counts = [_event_count(rng, employees, rate, days) for rate in (
        cfg.TERMINATIONS_PER_YEAR, cfg.LEAVES_PER_YEAR,
        cfg.TEAM_MOVES_PER_YEAR, cfg.EMAIL_CHANGES_PER_YEAR)]  # fmt: skip
    snapshot_days = [d for d in period.regular_snapshot_days if d >= 1]
    chosen, cursor = [], 0
    for count in counts:
        chosen.append(candidates[cursor : cursor + count])
        cursor += count
    leavers, on_leave, movers, renamed = chosen
    for p in leavers:
        events.term_day[p] = int(rng.integers(1, days))
    for p in on_leave:
        start = int(rng.integers(1, days))
        events.leave_start[p] = start
        events.leave_end[p] = start + int(rng.integers(*cfg.LEAVE_DAYS))
    n_teams = len(teams.team_id)
    for p in movers:
        if n_teams < 2:
            break
        others = [t for t in range(n_teams) if t != people.team[p]]
        events.team_after[p] = others[int(rng.integers(len(others)))]
        events.move_day[p] = int(rng.integers(1, days))
    for p in renamed:
        if not snapshot_days:
            break
        # a changed surname, or the company switching address format
        new_parts = (
            (people.first[p], cfg.LAST_NAMES[rng.integers(len(cfg.LAST_NAMES))])
            if rng.random() < 0.5
            else (people.first[p][0] + people.last[p],)
        )
        events.email_after[p] = book.new(new_parts)
        # on a snapshot day, so every address shows in some roster snapshot
        events.email_change_day[p] = snapshot_days[int(rng.integers(len(snapshot_days)))]
    return events


def _hire_during_period(rng, period: Period, employees: int, teams: Teams, people, book) -> int:
    snapshot_days = [d for d in period.regular_snapshot_days if d >= 1]
    count = _event_count(rng, employees, cfg.HIRES_PER_YEAR, period.days) if snapshot_days else 0
    for _ in range(count):
        # hires land on snapshot days so a newcomer's address is in a roster at once
        day = snapshot_days[int(rng.integers(len(snapshot_days)))]
        family, level = _member_family_and_level(rng)
        people.add(rng, book, team=int(rng.integers(len(teams.team_id))), family=family,
                   level=min(level, 2), hire_day=day, hire_date=period.date(day))  # fmt: skip
    return count


def _plan_reorg(rng, period: Period, teams: Teams, org_names, director) -> dict:
    """One team changes org mid-period (team id kept): point-in-time org attribution."""
    if len(org_names) < 2 or period.days < 2:
        return {}
    for org in range(len(org_names)):
        movable = [t for t in range(len(teams.team_id))
                   if teams.org_before[t] == org and teams.manager[t] != director[org]]  # fmt: skip
        if len(movable) >= 2:
            team = movable[int(rng.integers(len(movable)))]
            target = (org + 1) % len(org_names)
            day = max(1, int(period.days * 0.4))
            teams.org_after[team] = target
            teams.reorg_day[team] = day
            return {
                "team_id": teams.team_id[team],
                "from_org": org_names[org],
                "to_org": org_names[target],
                "date": period.date(day).isoformat(),
            }
    return {}


def _salaries(rng, level: np.ndarray, location: np.ndarray) -> np.ndarray:
    base = np.asarray(cfg.BASE_SALARY_BY_LEVEL)[level]
    factor = np.asarray([loc[1] for loc in cfg.LOCATIONS])[location]
    noisy = base * factor * rng.uniform(0.9, 1.1, len(level))
    return (np.round(noisy / 1000) * 1000).astype(np.int64)


@dataclass
class _UsageProfile:
    never_user: np.ndarray
    adoption_day: np.ndarray
    intensity: np.ndarray
    use_probability: np.ndarray
    change_rate: np.ndarray
    change_backlog: np.ndarray


def _usage_profile(rng, period: Period, family: np.ndarray, hire_day: np.ndarray):
    n = len(family)
    is_dev = family == cfg.SWE
    never = rng.random(n) < np.where(is_dev, cfg.NEVER_USER_SHARE_DEV, cfg.NEVER_USER_SHARE_OTHER)
    # adoption spreads over the period: a share already uses AI, the rest start later
    u = rng.random(n)
    later = (u - cfg.ADOPTED_AT_START) / (1 - cfg.ADOPTED_AT_START)
    adoption = np.where(u < cfg.ADOPTED_AT_START, -1, np.floor(later * period.days)).astype(int)
    hired_in_period = hire_day >= 0
    onboarding = rng.integers(1, 11, n)
    adoption = np.where(hired_in_period, hire_day + onboarding, adoption)
    adoption = np.where(never, NOT_ADOPTED, adoption)
    sigma = cfg.INTENSITY_SIGMA
    intensity = np.exp(rng.normal(-(sigma**2) / 2, sigma, n))
    use_probability = rng.uniform(*cfg.WEEKDAY_USE_PROBABILITY, n)
    family_factor = np.array([cfg.CHANGE_FAMILY_FACTOR.get(f, 0.0) for f in family.tolist()])
    change_rate = (
        cfg.CHANGES_PER_WORKDAY * family_factor * np.exp(rng.normal(0, cfg.CHANGE_RATE_SIGMA, n))
    )
    backlog = rng.random(n)
    return _UsageProfile(never, adoption, intensity, use_probability, change_rate, backlog)


def _pick_special_users(rng, period: Period, pop_fields: dict) -> tuple[np.ndarray, ...]:
    """Tokenmaxxers and heavy users per org, among developers who stay put all
    period, so their signal is not blurred by roster events."""
    family, hire_day = pop_fields["family"], pop_fields["hire_day"]
    teams: Teams = pop_fields["teams"]
    n = len(family)
    stays_put = (
        (family == cfg.SWE)
        & (hire_day < 0)
        & (pop_fields["term_day"] == NEVER)
        & (pop_fields["leave_start"] == NEVER)
        & (pop_fields["move_day"] == NEVER)
        & (pop_fields["email_change_day"] == NEVER)
        & (teams.reorg_day[pop_fields["team_before"]] == NEVER)
    )
    stays_put[[m for m in teams.manager.tolist() if m >= 0]] = False
    org = teams.org_before[pop_fields["team_before"]]
    tokenmaxxer, heavy = np.zeros(n, bool), np.zeros(n, bool)
    loop_start = np.full(n, NEVER)
    first_loop = True
    for o in range(len(pop_fields["org_names"])):
        org_devs = int(((org == o) & (family == cfg.SWE)).sum())
        pool = rng.permutation(np.flatnonzero(stays_put & (org == o)))
        if org_devs < cfg.MIN_ORG_DEVS_FOR_SPECIALS:
            continue
        n_tok = max(1, round(org_devs * cfg.TOKENMAXXER_SHARE_OF_ORG_DEVS))
        n_heavy = max(1, round(org_devs * cfg.HEAVY_SHARE_OF_ORG_DEVS))
        tokenmaxxer[pool[:n_tok]] = True
        heavy[pool[n_tok : n_tok + n_heavy]] = True
        for p in sorted(pool[:n_tok].tolist()):
            latest = int(period.days * cfg.LOOP_START_WITHIN)
            loop_start[p] = 0 if first_loop else int(rng.integers(0, latest + 1))
            first_loop = False
    return tokenmaxxer, heavy, loop_start


def build_population(seed: int, period: Period, employees: int) -> Population:
    rng = stream(seed, POPULATION)
    org_names, teams = _build_teams(rng, employees)
    book, people = _EmailBook(), _People()
    _staff_initial_people(rng, period, employees, teams, book, people)
    director, head = _appoint_directors(org_names, teams, people)
    events = _plan_events(rng, period, employees, teams, people, book)
    hires = _hire_during_period(rng, period, employees, teams, people, book)
    reorg = _plan_reorg(rng, period, teams, org_names, director)
    n_new = hires

    def padded(values: np.ndarray, fill) -> np.ndarray:
        return np.concatenate([values, np.full(n_new, fill, dtype=values.dtype)])

    team_before = np.array(people.team)
    family = np.array(people.family)
    level = np.array(people.level)
    location = np.array(people.location)
    hire_day = np.array(people.hire_day)
    email_before = np.array(people.email)
    fields = {
        "org_names": org_names,
        "teams": teams,
        "family": family,
        "hire_day": hire_day,
        "team_before": team_before,
        "term_day": padded(events.term_day, NEVER),
        "leave_start": padded(events.leave_start, NEVER),
        "leave_end": padded(events.leave_end, NEVER),
        "team_after": np.concatenate([events.team_after, team_before[len(events.team_after) :]]),
        "move_day": padded(events.move_day, NEVER),
        "email_after": np.concatenate(
            [events.email_after, email_before[len(events.email_after) :]]
        ),
        "email_change_day": padded(events.email_change_day, NEVER),
    }
    profile = _usage_profile(rng, period, family, hire_day)
    tokenmaxxer, heavy, loop_start = _pick_special_users(rng, period, fields)
    _shape_special_users(profile, tokenmaxxer, heavy)
    n = len(family)
    population = Population(
        period=period,
        org_names=org_names,
        teams=teams,
        employee_id=[f"E{i + 1:05d}" for i in range(n)],
        full_name=[f"{f} {s}" for f, s in zip(people.first, people.last, strict=True)],
        family=family,
        level=level,
        salary=_salaries(rng, level, location),
        location=location,
        hire_day=hire_day,
        hire_date=people.hire_date,
        term_day=fields["term_day"],
        leave_start=fields["leave_start"],
        leave_end=fields["leave_end"],
        team_before=team_before,
        team_after=fields["team_after"],
        move_day=fields["move_day"],
        emails=book.emails,
        display_emails=book.display,
        email_before=email_before,
        email_after=fields["email_after"],
        email_change_day=fields["email_change_day"],
        director_of_org=director,
        head=head,
        never_user=profile.never_user,
        adoption_day=profile.adoption_day,
        intensity=profile.intensity,
        use_probability=profile.use_probability,
        change_rate=profile.change_rate,
        change_backlog=profile.change_backlog,
        heavy=heavy,
        tokenmaxxer=tokenmaxxer,
        loop_start_day=loop_start,
        reorg=reorg,
    )
    population.gaming = plant_gaming(seed, population)
    return population


def _shape_special_users(profile: _UsageProfile, tokenmaxxer, heavy) -> None:
    special = tokenmaxxer | heavy
    profile.never_user[special] = False
    profile.adoption_day[special] = -1
    profile.use_probability[special] = 0.97
    # heavy users ship ~2x the median all along, at a steady rate, while their
    # tokens grow from typical to ~10x (see Population.heaviness_on): shipping more
    # is what keeps them from looking like tokenmaxxers
    profile.intensity[heavy] = 1.0
    profile.change_rate[heavy] = cfg.CHANGES_PER_WORKDAY * cfg.HEAVY_CHANGE_FACTOR
    profile.change_backlog[heavy] = 0.9
    profile.intensity[tokenmaxxer] = 1.0
    profile.change_rate[tokenmaxxer] = cfg.CHANGES_PER_WORKDAY * cfg.TOKENMAXXER_CHANGE_FACTOR
    profile.change_backlog[tokenmaxxer] = 0.0
