-- Employee × covered day for every employee present in the snapshot that
-- applies to the day: the spine for seat costs and developer signals.

with

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

snapshot_intervals as (

    select * from {{ ref('int_roster__snapshot_intervals') }}

),

history as (

    select * from {{ ref('int_employees__roster_history') }}

),

day_snapshots as (

    select
        covered_days.date_day,
        snapshot_intervals.snapshot_date
    from covered_days
    inner join snapshot_intervals
        on {{ is_valid_on('covered_days.date_day', 'snapshot_intervals') }}

)

select
    day_snapshots.date_day,
    history.employee_id,
    history.snapshot_date,
    history.team_id,
    history.org_name,
    history.job_family,
    history.job_level,
    history.employment_status,
    history.is_active,
    history.is_developer,
    history.annual_salary_usd
from day_snapshots
inner join history
    on day_snapshots.snapshot_date = history.snapshot_date
