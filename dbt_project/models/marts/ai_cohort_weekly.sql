-- Grain: week_start × org_name × cohort (metrics.md, Is AI worth it).
-- Each developer of week W (developers on its Sunday, from the snapshot that
-- applies that day) falls in one cohort by their billable tokens in W:
-- `none` with 0 tokens; the others by ntile(3) over the org's developers with
-- tokens in W, ordered by tokens then employee_id (1 light, 2 moderate,
-- 3 heavy). Their normalized deployments (delivered in W) and billed cost
-- (their cost rows in W) follow them, whatever team they were attributed to.
-- Cohorts of fewer than aiw_min_group_size developers show only `developers`.

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

covered_weeks as (

    select distinct week_start
    from covered_days

),

week_sundays as (

    {{ week_sunday_snapshots('covered_weeks', 'snapshot_intervals') }}

),

sunday_developers as (

    select
        week_sundays.week_start,
        history.employee_id,
        history.org_name
    from week_sundays
    inner join history
        on week_sundays.snapshot_date = history.snapshot_date
    where history.is_developer

),

tokens_weekly as (

    select
        {{ week_start('usage_date') }} as week_start,
        employee_id,
        sum(total_tokens) as tokens
    from {{ ref('fct_token_usage_daily') }}
    where employee_id is not null
    group by {{ week_start('usage_date') }}, employee_id

),

deployments_weekly as (

    select
        {{ week_start('delivered_date') }} as week_start,
        employee_id,
        count(*) as normalized_deployments,
        sum(case when is_ai_assisted then 1 else 0 end) as ai_assisted_normalized_deployments
    from {{ ref('fct_normalized_deployments') }}
    where
        employee_id is not null
        and is_normalized
    group by {{ week_start('delivered_date') }}, employee_id

),

costs_weekly as (

    select
        {{ week_start('cost_date') }} as week_start,
        employee_id,
        {{ sum_double('billed_cost_usd') }} as billed_cost_usd
    from {{ ref('fct_ai_cost_daily') }}
    where employee_id is not null
    group by {{ week_start('cost_date') }}, employee_id

),

developer_weeks as (

    select
        sunday_developers.week_start,
        sunday_developers.org_name,
        sunday_developers.employee_id,
        coalesce(tokens_weekly.tokens, 0) as tokens,
        coalesce(deployments_weekly.normalized_deployments, 0) as normalized_deployments,
        coalesce(deployments_weekly.ai_assisted_normalized_deployments, 0)
            as ai_assisted_normalized_deployments,
        coalesce(costs_weekly.billed_cost_usd, 0) as billed_cost_usd
    from sunday_developers
    left join tokens_weekly
        on
            sunday_developers.week_start = tokens_weekly.week_start
            and sunday_developers.employee_id = tokens_weekly.employee_id
    left join deployments_weekly
        on
            sunday_developers.week_start = deployments_weekly.week_start
            and sunday_developers.employee_id = deployments_weekly.employee_id
    left join costs_weekly
        on
            sunday_developers.week_start = costs_weekly.week_start
            and sunday_developers.employee_id = costs_weekly.employee_id

),

token_users as (

    select
        week_start,
        org_name,
        employee_id,
        ntile(3) over (
            partition by week_start, org_name
            order by tokens, employee_id
        ) as tertile
    from developer_weeks
    where tokens > 0

),

cohorts as (

    select
        developer_weeks.*,
        case token_users.tertile
            when 1 then 'light'
            when 2 then 'moderate'
            when 3 then 'heavy'
            else 'none'
        end as cohort,
        coalesce(token_users.tertile, 0) as cohort_rank
    from developer_weeks
    left join token_users
        on
            developer_weeks.week_start = token_users.week_start
            and developer_weeks.employee_id = token_users.employee_id

),

grouped as (

    select
        week_start,
        org_name,
        cohort,
        cohort_rank,
        count(*) as developers,
        sum(tokens) as total_tokens,
        sum(normalized_deployments) as normalized_deployments,
        sum(ai_assisted_normalized_deployments) as ai_assisted_normalized_deployments,
        {{ sum_double('billed_cost_usd') }} as billed_cost_usd,
        count(*) < {{ var('aiw_min_group_size', 5) }} as is_suppressed
    from cohorts
    group by week_start, org_name, cohort, cohort_rank

),

last_covered_day as (

    select max(date_day) as last_day
    from covered_days

)

select
    grouped.week_start,
    grouped.org_name,
    grouped.cohort,
    cast(grouped.developers as {{ dbt.type_bigint() }}) as developers,
    cast(
        case when not grouped.is_suppressed then grouped.normalized_deployments end
        as {{ dbt.type_bigint() }}
    ) as normalized_deployments,
    cast(
        case when not grouped.is_suppressed then grouped.normalized_deployments * 1.0 / grouped.developers end
        as {{ type_double() }}
    ) as normalized_deployments_per_developer,
    cast(
        case when not grouped.is_suppressed then grouped.billed_cost_usd end
        as {{ type_double() }}
    ) as billed_cost_usd,
    cast(
        case
            when not grouped.is_suppressed and grouped.normalized_deployments > 0
                then grouped.billed_cost_usd / grouped.normalized_deployments
        end
        as {{ type_double() }}
    ) as cost_per_normalized_deployment,
    cast(
        case
            when not grouped.is_suppressed and grouped.normalized_deployments > 0
                then grouped.ai_assisted_normalized_deployments * 1.0 / grouped.normalized_deployments
        end
        as {{ type_double() }}
    ) as ai_assisted_share,
    grouped.is_suppressed,
    cast(grouped.cohort_rank as {{ dbt.type_int() }}) as cohort_rank,
    cast(
        case when not grouped.is_suppressed then grouped.total_tokens end
        as {{ dbt.type_bigint() }}
    ) as total_tokens,
    -- a rollback can still arrive up to 7 days after the Sunday
    last_covered_day.last_day < {{ add_days(13, 'grouped.week_start') }} as is_provisional
from grouped
cross join last_covered_day
