{{ config(materialized='view') }}

-- team_weekly_metrics for wide audiences: a team-week computed from fewer
-- developers than aiw_min_group_size shows its people-derived figures as null
-- and is_suppressed = true (metrics.md, privacy).

with

team_weeks as (

    select * from {{ ref('team_weekly_metrics') }}

)

select
    week_start,
    team_id,
    team_name,
    org_name,
    case when not is_below_min_group_size then developers end as developers,
    case when not is_below_min_group_size then ai_active_developers end as ai_active_developers,
    case when not is_below_min_group_size then adoption_rate end as adoption_rate,
    case when not is_below_min_group_size then total_tokens end as total_tokens,
    case when not is_below_min_group_size then normalized_deployments end as normalized_deployments,
    case when not is_below_min_group_size then ai_assisted_normalized_deployments end
        as ai_assisted_normalized_deployments,
    case when not is_below_min_group_size then normalized_deployments_per_developer end
        as normalized_deployments_per_developer,
    case when not is_below_min_group_size then billed_cost_usd end as billed_cost_usd,
    case when not is_below_min_group_size then cost_per_normalized_deployment end
        as cost_per_normalized_deployment,
    is_provisional,
    is_below_min_group_size as is_suppressed
from team_weeks
