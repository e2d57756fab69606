-- Grain: date_day × employee_id × team_id, the employee and their team on the
-- event's day (either null: unattributed, or no team that day). The facts
-- that define the figures side by side, so that each weekly or whole-period
-- figure is one sum over these rows (macros/sum_figures.sql): a developer's week
-- (int_developers__weekly) over the employee's rows, whatever their team; a
-- team's week (team_weekly_metrics) over the team's rows, developers or not;
-- the organisation's period (org_headline) over every row. A figure is null
-- where its fact has no row; a row exists wherever a fact has one. Day grain,
-- not week: each cost row stays one value, so every sum adds exactly the
-- fct_ai_cost_daily values it always did.

with

fact_rows as (

    select
        usage_date as date_day,
        employee_id,
        team_id,
        total_tokens,
        null as delivered_changes,
        null as normalized_deployments,
        null as ai_assisted_normalized_deployments,
        null as billed_cost_usd,
        null as per_token_cost_usd,
        null as flat_rate_cost_usd
    from {{ ref('fct_token_usage_daily') }}

    union all

    -- every delivered change, rolled back or not
    select
        delivered_date as date_day,
        employee_id,
        team_id,
        null as total_tokens,
        1 as delivered_changes,
        case when is_normalized then 1 else 0 end as normalized_deployments,
        case when is_normalized and is_ai_assisted then 1 else 0 end as ai_assisted_normalized_deployments,
        null as billed_cost_usd,
        null as per_token_cost_usd,
        null as flat_rate_cost_usd
    from {{ ref('fct_normalized_deployments') }}

    union all

    select
        cost_date as date_day,
        employee_id,
        team_id,
        null as total_tokens,
        null as delivered_changes,
        null as normalized_deployments,
        null as ai_assisted_normalized_deployments,
        billed_cost_usd,
        per_token_cost_usd,
        flat_rate_cost_usd
    from {{ ref('fct_ai_cost_daily') }}

)

select
    date_day,
    {{ week_start('date_day') }} as week_start,
    employee_id,
    team_id,
    {{ sum_figures() }}
from fact_rows
group by date_day, employee_id, team_id
