-- Grain: activity_date × employee_id × tool (sources.md, Facts): one row per
-- day, employee and tool used (gateway, claude_code, litellm: the request
-- source; copilot: a reported user-day). Unattributed activity has a null
-- employee_id. `active` is the day's contribution to AI-active (metrics.md):
-- a successful request, or a Copilot day with a user-initiated interaction.

with

requests as (

    select
        usage_date as activity_date,
        employee_id,
        team_id,
        source as tool,
        sum(requests) as requests_or_interactions,
        sum(success_requests) as success_requests,
        sum(total_tokens) as billable_tokens,
        {{ sum_double('list_cost_usd') }} as priced_cost_usd,
        {{ dbt.bool_or('is_unpriced') }} as is_unpriced
    from {{ ref('int_usage__daily_priced') }}
    group by usage_date, employee_id, team_id, source

),

copilot as (

    select
        activity_date,
        employee_id,
        team_id,
        sum(coalesce(interactions, 0)) as requests_or_interactions,
        {{ dbt.bool_or('is_active') }} as is_active
    from {{ ref('int_copilot__user_days') }}
    group by activity_date, employee_id, team_id

),

activity as (

    select
        activity_date,
        employee_id,
        team_id,
        tool,
        success_requests > 0 as active,
        requests_or_interactions,
        billable_tokens,
        case when not is_unpriced then priced_cost_usd end as list_cost_usd,
        is_unpriced
    from requests

    union all

    -- Copilot reports no tokens: no billable tokens, no list cost
    select
        activity_date,
        employee_id,
        team_id,
        'copilot' as tool,
        is_active as active,
        requests_or_interactions,
        null as billable_tokens,
        null as list_cost_usd,
        false as is_unpriced
    from copilot

)

select
    activity_date,
    employee_id,
    team_id,
    cast(tool as {{ dbt.type_string() }}) as tool,
    active,
    cast(requests_or_interactions as {{ dbt.type_bigint() }}) as requests_or_interactions,
    cast(billable_tokens as {{ dbt.type_bigint() }}) as billable_tokens,
    cast(list_cost_usd as {{ type_double() }}) as list_cost_usd,
    is_unpriced,
    employee_id is not null as is_attributed
from activity
