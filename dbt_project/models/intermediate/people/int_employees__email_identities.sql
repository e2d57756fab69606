-- Identity resolution: every email an employee ever had in any snapshot maps
-- to that employee, so usage under an old email after an email change (and
-- before it) still lands on the same employee_id.
--
-- An email the roster gives to two or more employee_ids (in any snapshots)
-- is ambiguous: it maps to nobody (employee_id null), so events with it are
-- unattributed rather than silently moved to one of the claimants, and the
-- blocking check emails_belong_to_one_employee names the employee ids.

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

per_email as (

    select
        email_normalized,
        count(*) as claimants,
        min(employee_id) as any_employee_id,
        {{ dbt.listagg('employee_id', "', '", 'order by employee_id') }} as claimant_employee_ids,
        min(first_snapshot_date) as first_snapshot_date,
        max(last_snapshot_date) as last_snapshot_date
    from per_employee
    group by email_normalized

)

select
    email_normalized,
    case when claimants = 1 then any_employee_id end as employee_id,
    claimants > 1 as is_ambiguous,
    claimant_employee_ids,
    first_snapshot_date,
    last_snapshot_date
from per_email
