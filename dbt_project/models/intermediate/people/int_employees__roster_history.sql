-- Point-in-time roster: one row per employee per snapshot, valid from the
-- snapshot date until the next snapshot date (exclusive). Snapshots can be
-- missing for some days, so the snapshot that applies to a day is the latest
-- one on or before it; an employee absent from that snapshot has no roster
-- that day, and days before the first snapshot have no roster at all.

with

snapshots as (

    select * from {{ ref('stg_hris__roster_snapshots') }}

),

latest_lines as (

    -- an employee listed twice in one snapshot: the last line wins (the
    -- duplicate rule of every export, macro winning_copies)
    {{ winning_copies('snapshots', ['snapshot_date', 'employee_id'], ['line_number'], skip_redelivered=false) }}

),

snapshot_intervals as (

    select * from {{ ref('int_roster__snapshot_intervals') }}

),

history as (

    select
        latest_lines.employee_id,
        latest_lines.snapshot_date,
        snapshot_intervals.valid_from,
        snapshot_intervals.valid_to,
        snapshot_intervals.valid_to is null as is_latest_snapshot,
        latest_lines.team_id,
        latest_lines.team_name,
        latest_lines.org_name,
        latest_lines.job_family,
        latest_lines.job_level,
        latest_lines.manager_id,
        latest_lines.location,
        latest_lines.employment_status,
        latest_lines.hire_date,
        latest_lines.termination_date,
        latest_lines.annual_salary_usd,
        latest_lines.employment_status = 'active' as is_active,
        latest_lines.job_family = 'software_engineer'
        and latest_lines.employment_status = 'active' as is_developer
    from latest_lines
    inner join snapshot_intervals
        on latest_lines.snapshot_date = snapshot_intervals.snapshot_date

)

select * from history
