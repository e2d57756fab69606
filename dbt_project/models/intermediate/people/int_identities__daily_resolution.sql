-- Identity resolution (sources.md, Identities; metrics.md, Attribution): for
-- every day × identity that usage or Copilot activity names, the employee it
-- belongs to that day and that employee's team from the snapshot applying
-- that day.
--   claims:    roster work emails (email identities of any snapshot, as
--              int_employees__email_identities says, ambiguous ones kept
--              ambiguous) and identities.csv rows, in force on the day
--              (effective_from <= day < effective_to, null = open)
--   matching:  values compare lower(trim()) (staging normalises both sides)
--   ambiguity: an identity claimed by more than one employee on a day (or a
--              roster email given to several) resolves to nobody that day
-- Resolving only the days and identities seen keeps this small and needs no
-- interval arithmetic for partly overlapping claims.

with

usage_keys as (

    select distinct
        usage_date as activity_date,
        identity_type,
        identity_value
    from {{ ref('int_usage__daily_by_identity') }}

),

copilot_keys as (

    select distinct
        activity_date,
        identity_type,
        identity_value
    from {{ ref('stg_copilot__user_days') }}

),

identity_days as (

    select * from usage_keys
    union distinct
    select * from copilot_keys

),

claims as (

    select
        'email' as identity_type,
        email_normalized as identity_value,
        employee_id,
        is_ambiguous,
        cast(null as date) as effective_from,
        cast(null as date) as effective_to
    from {{ ref('int_employees__email_identities') }}

    union all

    select
        identity_type,
        identity_value,
        employee_id,
        false as is_ambiguous,
        effective_from,
        effective_to
    from {{ ref('stg_reference__identities') }}
    where employee_id is not null

),

matches as (

    -- each identity seen on a day with the employees claiming it that day
    -- (none when no claim is in force)
    select
        identity_days.activity_date,
        identity_days.identity_type,
        identity_days.identity_value,
        count(distinct claims.employee_id) as claimants,
        min(claims.employee_id) as any_employee_id,
        {{ dbt.bool_or('claims.is_ambiguous') }} as has_ambiguous_claim
    from identity_days
    left join claims
        on
            identity_days.identity_type = claims.identity_type
            and identity_days.identity_value = claims.identity_value
            and (claims.effective_from is null or identity_days.activity_date >= claims.effective_from)
            and (claims.effective_to is null or identity_days.activity_date < claims.effective_to)
    group by
        identity_days.activity_date,
        identity_days.identity_type,
        identity_days.identity_value

),

resolved as (

    select
        activity_date,
        identity_type,
        identity_value,
        case
            when claimants = 1 and not has_ambiguous_claim
                then any_employee_id
        end as employee_id,
        coalesce(claimants > 1 or has_ambiguous_claim, false) as is_ambiguous
    from matches

),

day_snapshots as (

    -- the snapshot that applies on each day: a range join on the few
    -- distinct days, so the history join below is a plain equi-join
    select
        distinct_days.activity_date,
        snapshot_intervals.snapshot_date
    from (select distinct activity_date from identity_days) as distinct_days
    inner join {{ ref('int_roster__snapshot_intervals') }} as snapshot_intervals
        on {{ is_valid_on('distinct_days.activity_date', 'snapshot_intervals') }}

)

select
    resolved.activity_date,
    resolved.identity_type,
    resolved.identity_value,
    resolved.employee_id,
    history.team_id,
    resolved.is_ambiguous
from resolved
left join day_snapshots
    on resolved.activity_date = day_snapshots.activity_date
left join {{ ref('int_employees__roster_history') }} as history
    on
        resolved.employee_id = history.employee_id
        and day_snapshots.snapshot_date = history.snapshot_date
