{{ config(materialized='view') }}

-- Diminishing returns: developer-weeks (developers on the week's Sunday)
-- bucketed by their token usage that week — decile 0 for no usage, 1..10 by
-- ntile among the rest — with cost and normalized deployments per bucket.
-- Aggregated over people; a bucket with fewer distinct developers than
-- aiw_min_group_size shows null figures and is_suppressed.

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

developer_weeks as (

    -- developers on the week's Sunday
    select
        week_sundays.week_start,
        history.employee_id
    from week_sundays
    inner join history
        on week_sundays.snapshot_date = history.snapshot_date
    where history.is_developer

),

weekly_usage as (

    select
        {{ week_start('usage_date') }} as week_start,
        employee_id,
        sum(total_tokens) as total_tokens
    from {{ ref('fct_token_usage_daily') }}
    where employee_id is not null
    group by {{ week_start('usage_date') }}, employee_id

),

weekly_costs as (

    select
        {{ week_start('cost_date') }} as week_start,
        employee_id,
        {{ sum_double('per_token_cost_usd') }} as per_token_cost_usd,
        {{ sum_double('billed_cost_usd') }} as billed_cost_usd
    from {{ ref('fct_ai_cost_daily') }}
    where employee_id is not null
    group by {{ week_start('cost_date') }}, employee_id

),

weekly_deployments as (

    select
        {{ week_start('delivered_date') }} as week_start,
        employee_id,
        sum(case when is_normalized then 1 else 0 end) as normalized_deployments
    from {{ ref('fct_normalized_deployments') }}
    where employee_id is not null
    group by {{ week_start('delivered_date') }}, employee_id

),

developer_week_figures as (

    select
        developer_weeks.week_start,
        developer_weeks.employee_id,
        coalesce(weekly_usage.total_tokens, 0) as total_tokens,
        coalesce(weekly_costs.per_token_cost_usd, 0) as per_token_cost_usd,
        coalesce(weekly_costs.billed_cost_usd, 0) as billed_cost_usd,
        coalesce(weekly_deployments.normalized_deployments, 0) as normalized_deployments
    from developer_weeks
    left join weekly_usage
        on
            developer_weeks.week_start = weekly_usage.week_start
            and developer_weeks.employee_id = weekly_usage.employee_id
    left join weekly_costs
        on
            developer_weeks.week_start = weekly_costs.week_start
            and developer_weeks.employee_id = weekly_costs.employee_id
    left join weekly_deployments
        on
            developer_weeks.week_start = weekly_deployments.week_start
            and developer_weeks.employee_id = weekly_deployments.employee_id

),

bucketed as (

    select
        *,
        0 as usage_decile
    from developer_week_figures
    where total_tokens = 0

    union all

    select
        *,
        ntile(10) over (order by total_tokens, employee_id, week_start) as usage_decile
    from developer_week_figures
    where total_tokens > 0

),

deciles as (

    select
        usage_decile,
        count(*) as developer_weeks,
        count(distinct employee_id) as developers,
        min(total_tokens) as min_weekly_tokens,
        max(total_tokens) as max_weekly_tokens,
        sum(total_tokens) as total_tokens,
        {{ sum_double('per_token_cost_usd') }} as per_token_cost_usd,
        {{ sum_double('billed_cost_usd') }} as billed_cost_usd,
        sum(normalized_deployments) as normalized_deployments
    from bucketed
    group by usage_decile

),

flagged as (

    select
        *,
        developers < {{ var('aiw_min_group_size', 5) }} as is_suppressed
    from deciles

)

select
    cast(usage_decile as {{ dbt.type_int() }}) as usage_decile,
    cast(developer_weeks as {{ dbt.type_bigint() }}) as developer_weeks,
    cast(case when not is_suppressed then developers end as {{ dbt.type_bigint() }}) as developers,
    cast(case when not is_suppressed then min_weekly_tokens end as {{ dbt.type_bigint() }}) as min_weekly_tokens,
    cast(case when not is_suppressed then max_weekly_tokens end as {{ dbt.type_bigint() }}) as max_weekly_tokens,
    cast(case when not is_suppressed then total_tokens end as {{ dbt.type_bigint() }}) as total_tokens,
    cast(case when not is_suppressed then per_token_cost_usd end as {{ type_double() }}) as per_token_cost_usd,
    cast(case when not is_suppressed then billed_cost_usd end as {{ type_double() }}) as billed_cost_usd,
    cast(case when not is_suppressed then normalized_deployments end as {{ dbt.type_bigint() }})
        as normalized_deployments,
    cast(
        case
            when not is_suppressed and normalized_deployments > 0
                then per_token_cost_usd / normalized_deployments
        end
        as {{ type_double() }}
    ) as per_token_cost_per_normalized_deployment,
    cast(
        case
            when not is_suppressed and normalized_deployments > 0
                then billed_cost_usd / normalized_deployments
        end
        as {{ type_double() }}
    ) as billed_cost_per_normalized_deployment,
    cast(
        case
            when not is_suppressed and normalized_deployments > 0
                then total_tokens * 1.0 / normalized_deployments
        end
        as {{ type_double() }}
    ) as tokens_per_normalized_deployment,
    is_suppressed
from flagged
