-- Identity resolution: every email an employee ever had in any snapshot maps
-- to that employee, so usage under an old email after an email change (and
-- before it) still lands on the same employee_id.

with

emails as (

    select
        work_email_normalized as email_normalized,
        employee_id,
        snapshot_date
    from {{ ref('stg_hris__roster_snapshots') }}
    where
        work_email_normalized is not null
        and work_email_normalized != ''

),

per_employee as (

    select
        email_normalized,
        employee_id,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from emails
    group by email_normalized, employee_id

),

ranked as (

    -- the contract says an email is never reused; if it ever is, the employee
    -- who held it last keeps it so the mapping stays a function
    select
        *,
        row_number() over (
            partition by email_normalized
            order by last_snapshot_date desc, employee_id asc
        ) as holder_rank
    from per_employee

)

select
    email_normalized,
    employee_id,
    first_snapshot_date,
    last_snapshot_date
from ranked
where holder_rank = 1
