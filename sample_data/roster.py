"""HRIS roster snapshots, one CSV per exported day."""

from __future__ import annotations

import csv
import io

from sample_data import organisation as cfg
from sample_data.population import Population
from sample_data.storage import Landing

ROSTER_HEADER = [
    "employee_id",
    "work_email",
    "full_name",
    "job_family",
    "job_level",
    "team_id",
    "team_name",
    "org_name",
    "manager_id",
    "location",
    "employment_status",
    "hire_date",
    "termination_date",
    "annual_salary_usd",
]


def roster_path(population: Population, day: int) -> str:
    return f"roster/roster_{population.period.date(day).isoformat()}.csv"


def snapshot_rows(population: Population, day: int) -> list[list[str]]:
    """Everyone hired by `day`; leavers stay listed as terminated."""
    pop, period = population, population.period
    state = pop.state_on(day)
    org_names, teams = pop.org_names, pop.teams
    rows = []
    for person in range(pop.size):
        if pop.hire_day[person] > day:
            continue
        terminated = day > pop.term_day[person]
        status = "terminated" if terminated else "leave" if state.on_leave[person] else "active"
        team, org = int(state.team[person]), int(state.org[person])
        manager = pop.manager_on(person, team, org)
        rows.append(
            [
                pop.employee_id[person],
                pop.emails[int(state.email[person])],
                pop.full_name[person],
                cfg.JOB_FAMILIES[pop.family[person]],
                cfg.LEVELS[pop.level[person]],
                teams.team_id[team],
                teams.name[team],
                org_names[org],
                pop.employee_id[manager] if manager >= 0 else "",
                cfg.LOCATIONS[pop.location[person]][0],
                status,
                pop.hire_date[person].isoformat(),
                period.date(int(pop.term_day[person])).isoformat() if terminated else "",
                str(int(pop.salary[person])),
            ]
        )
    return rows


def write_snapshot(landing: Landing, population: Population, day: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ROSTER_HEADER)
    writer.writerows(snapshot_rows(population, day))
    path = roster_path(population, day)
    landing.write(path, buffer.getvalue().encode())
    return path
