-- Grain: employee_id. Personal employee dimension (names, emails, salary):
-- attributes from the latest snapshot the employee appears in. Restricted
-- schema only; marts never carry these columns.

with

snapshots as (

    select * from {{ ref('stg_hris__roster_snapshots') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by employee_id
            order by snapshot_date desc, line_number desc
        ) as recency_rank,
        min(snapshot_date) over (partition by employee_id) as first_snapshot_date,
        max(snapshot_date) over (partition by employee_id) as last_snapshot_date
    from snapshots

),

latest_snapshot as (

    select max(snapshot_date) as snapshot_date
    from snapshots

),

email_counts as (

    select
        employee_id,
        count(*) as known_emails
    from {{ ref('int_employees__email_identities') }}
    group by employee_id

)

select
    ranked.employee_id,
    ranked.full_name,
    ranked.work_email,
    ranked.job_family,
    ranked.job_level,
    ranked.team_id,
    ranked.team_name,
    ranked.org_name,
    ranked.manager_id,
    ranked.location,
    ranked.employment_status,
    ranked.hire_date,
    ranked.termination_date,
    ranked.annual_salary_usd,
    ranked.first_snapshot_date,
    ranked.last_snapshot_date,
    ranked.last_snapshot_date = latest_snapshot.snapshot_date as is_in_latest_snapshot,
    cast(coalesce(email_counts.known_emails, 0) as {{ dbt.type_bigint() }}) as known_emails
from ranked
cross join latest_snapshot
left join email_counts
    on ranked.employee_id = email_counts.employee_id
where ranked.recency_rank = 1
