-- Grain: week_start × employee_id. The developers of each week — developers on
-- its Sunday, from the roster snapshot that applies that day (metrics.md) —
-- with their team and org that day and their own figures of the week, whatever
-- team those were attributed to. Weeks: every week containing a covered day or
-- attributed activity. Every weekly model counts developers and AI-active
-- developers from here (team_weekly_metrics by team, ai_cohort_weekly and
-- cost_per_deployment_by_usage_decile by developer); the figures are their
-- rows of int_figures__daily in the week, whatever team the events went to.

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

figures as (

    select * from {{ ref('int_figures__daily') }}

),

activity_daily as (

    select * from {{ ref('fct_ai_activity_daily') }}

),

covered_weeks as (

    select distinct week_start
    from covered_days

),

ai_active_weeks as (

    -- AI-active in W (metrics.md): at least one successful request in W from
    -- any source, or an active Copilot day (fct_ai_activity_daily.active),
    -- whatever team the activity was attributed to
    select distinct
        {{ week_start('activity_date') }} as week_start,
        employee_id
    from activity_daily
    where
        employee_id is not null
        and active

),

employee_weeks as (

    -- their figures of the week, whatever team the events were attributed to
    {{ weekly_figures('figures', 'employee_id') }}

),

weeks as (

    select week_start from covered_weeks
    union distinct
    select week_start from employee_weeks

),

week_sundays as (

    {{ week_sunday_snapshots('weeks', 'snapshot_intervals') }}

),

sunday_developers as (

    select
        week_sundays.week_start,
        history.employee_id,
        history.team_id,
        history.org_name
    from week_sundays
    inner join history
        on week_sundays.snapshot_date = history.snapshot_date
    where history.is_developer

)

select
    sunday_developers.week_start,
    sunday_developers.employee_id,
    sunday_developers.team_id,
    sunday_developers.org_name,
    covered_weeks.week_start is not null as is_covered_week,
    ai_active_weeks.employee_id is not null as is_ai_active,
    cast(coalesce(employee_weeks.total_tokens, 0) as {{ dbt.type_bigint() }}) as total_tokens,
    cast(coalesce(employee_weeks.normalized_deployments, 0) as {{ dbt.type_bigint() }})
        as normalized_deployments,
    cast(coalesce(employee_weeks.ai_assisted_normalized_deployments, 0) as {{ dbt.type_bigint() }})
        as ai_assisted_normalized_deployments,
    cast(coalesce(employee_weeks.billed_cost_usd, 0) as {{ type_double() }}) as billed_cost_usd,
    cast(coalesce(employee_weeks.per_token_cost_usd, 0) as {{ type_double() }}) as per_token_cost_usd
from sunday_developers
left join covered_weeks
    on sunday_developers.week_start = covered_weeks.week_start
left join ai_active_weeks
    on
        sunday_developers.week_start = ai_active_weeks.week_start
        and sunday_developers.employee_id = ai_active_weeks.employee_id
left join employee_weeks
    on
        sunday_developers.week_start = employee_weeks.week_start
        and sunday_developers.employee_id = employee_weeks.employee_id
