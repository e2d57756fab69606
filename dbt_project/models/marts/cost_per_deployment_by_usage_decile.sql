{{ config(materialized='view') }}

-- Diminishing returns: developer-weeks (developers on the week's Sunday)
-- bucketed by their token usage that week — decile 0 for no usage, 1..10 by
-- ntile among the rest — with cost and normalized deployments per bucket.
-- Aggregated over people; a bucket with fewer distinct developers than
-- aiw_min_group_size shows null figures and is_suppressed.

with

developer_week_figures as (

    -- developers on the week's Sunday, covered weeks
    select
        week_start,
        employee_id,
        total_tokens,
        per_token_cost_usd,
        billed_cost_usd,
        normalized_deployments
    from {{ ref('int_developers__weekly') }}
    where is_covered_week

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
        {{ is_below_min_group_size('developers') }} as is_suppressed
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
