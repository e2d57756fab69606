-- Point-in-time roster: one row per employee per snapshot, valid from the
-- snapshot date until the next snapshot date (exclusive). Snapshots can be
-- missing for some days, so the snapshot that applies to a day is the latest
-- one on or before it; an employee absent from that snapshot has no roster
-- that day, and days before the first snapshot have no roster at all.

with

snapshots as (

    select * from {{ ref('stg_hris__roster_snapshots') }}

),

ranked_rows as (

    -- an employee listed twice in one snapshot: the last line wins
    select
        *,
        row_number() over (
            partition by snapshot_date, employee_id
            order by line_number desc
        ) as row_rank
    from snapshots

),

snapshot_intervals as (

    select * from {{ ref('int_roster__snapshot_intervals') }}

),

history as (

    select
        ranked_rows.employee_id,
        ranked_rows.snapshot_date,
        snapshot_intervals.valid_from,
        snapshot_intervals.valid_to,
        snapshot_intervals.valid_to is null as is_latest_snapshot,
        ranked_rows.team_id,
        ranked_rows.team_name,
        ranked_rows.org_name,
        ranked_rows.job_family,
        ranked_rows.job_level,
        ranked_rows.manager_id,
        ranked_rows.location,
        ranked_rows.employment_status,
        ranked_rows.hire_date,
        ranked_rows.termination_date,
        ranked_rows.annual_salary_usd,
        ranked_rows.employment_status = 'active' as is_active,
        ranked_rows.job_family = 'software_engineer'
        and ranked_rows.employment_status = 'active' as is_developer
    from ranked_rows
    inner join snapshot_intervals
        on ranked_rows.snapshot_date = snapshot_intervals.snapshot_date
    where ranked_rows.row_rank = 1

)

select * from history
