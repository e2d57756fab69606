-- 28-day gaming windows (metrics.md, Gaming signals and Deployment splitting):
-- for every covered day d and every developer on d, billable tokens of their
-- requests, normalized deployments attributed to them (by delivered_date) and
-- the lines (added + deleted) of those deployments over d-27 … d.
-- Rolling sums run over a dense employee × day grid so a ROWS frame of 27
-- preceding rows is exactly 28 calendar days (no range-join blow-up at scale).

with

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

employee_days as (

    select * from {{ ref('int_employees__daily') }}

),

daily_tokens as (

    select
        usage_date as date_day,
        employee_id,
        sum(total_tokens) as tokens
    from {{ ref('int_usage__daily_priced') }}
    where employee_id is not null
    group by usage_date, employee_id

),

daily_deployments as (

    select
        delivered_date as date_day,
        employee_id,
        count(*) as normalized_deployments,
        sum(coalesce(lines_added, 0) + coalesce(lines_deleted, 0)) as lines_changed
    from {{ ref('int_changes__delivered') }}
    where
        employee_id is not null
        and is_normalized
    group by delivered_date, employee_id

),

bounds as (

    -- the first window reaches 27 days before the first covered day
    select
        {{ add_days(-27, 'min(date_day)') }} as first_day,
        max(date_day) as last_day
    from covered_days

),

window_days as (

    {{ date_series('bounds', 'first_day', 'last_day') }}

),

developers as (

    select distinct employee_id
    from employee_days
    where is_developer

),

grid as (

    select
        window_days.date_day,
        developers.employee_id,
        coalesce(daily_tokens.tokens, 0) as tokens,
        coalesce(daily_deployments.normalized_deployments, 0) as normalized_deployments,
        coalesce(daily_deployments.lines_changed, 0) as lines_changed
    from window_days
    cross join developers
    left join daily_tokens
        on
            window_days.date_day = daily_tokens.date_day
            and developers.employee_id = daily_tokens.employee_id
    left join daily_deployments
        on
            window_days.date_day = daily_deployments.date_day
            and developers.employee_id = daily_deployments.employee_id

),

rolling as (

    select
        date_day,
        employee_id,
        sum(tokens) over (
            partition by employee_id
            order by date_day
            rows between 27 preceding and current row
        ) as tokens_28d,
        sum(normalized_deployments) over (
            partition by employee_id
            order by date_day
            rows between 27 preceding and current row
        ) as normalized_deployments_28d,
        sum(lines_changed) over (
            partition by employee_id
            order by date_day
            rows between 27 preceding and current row
        ) as lines_changed_28d
    from grid

)

select
    employee_days.date_day,
    employee_days.employee_id,
    employee_days.team_id,
    employee_days.org_name,
    cast(rolling.tokens_28d as {{ dbt.type_bigint() }}) as tokens_28d,
    cast(rolling.normalized_deployments_28d as {{ dbt.type_bigint() }}) as normalized_deployments_28d,
    cast(rolling.lines_changed_28d as {{ dbt.type_bigint() }}) as lines_changed_28d
from employee_days
inner join rolling
    on
        employee_days.date_day = rolling.date_day
        and employee_days.employee_id = rolling.employee_id
where employee_days.is_developer
