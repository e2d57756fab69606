-- Grain: week_start (Monday) × team_id. A row for every team with developers
-- in a week that contains a covered day, and for every team-week with
-- attributed activity in fct_token_usage_daily, fct_normalized_deployments
-- (by delivered_date, rolled back or not) or fct_ai_cost_daily.
-- Developers of a team in week W, and which of them are AI-active, come from
-- int_developers__weekly (developers on the Sunday of W); tokens, deployments
-- and cost cover everyone attributed to the team (team on the event's day).

with

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

snapshot_intervals as (

    select * from {{ ref('int_roster__snapshot_intervals') }}

),

developer_weeks as (

    select * from {{ ref('int_developers__weekly') }}

),

team_history as (

    select * from {{ ref('int_teams__roster_history') }}

),

usage_daily as (

    select * from {{ ref('fct_token_usage_daily') }}

),

deployments as (

    select * from {{ ref('fct_normalized_deployments') }}

),

costs as (

    select * from {{ ref('fct_ai_cost_daily') }}

),

usage_weekly as (

    select
        {{ week_start('usage_date') }} as week_start,
        team_id,
        sum(total_tokens) as total_tokens
    from usage_daily
    where team_id is not null
    group by {{ week_start('usage_date') }}, team_id

),

deployments_weekly as (

    select
        {{ week_start('delivered_date') }} as week_start,
        team_id,
        count(*) as delivered_changes,
        sum(case when is_normalized then 1 else 0 end) as normalized_deployments,
        sum(case when is_normalized and is_ai_assisted then 1 else 0 end)
            as ai_assisted_normalized_deployments
    from deployments
    where team_id is not null
    group by {{ week_start('delivered_date') }}, team_id

),

costs_weekly as (

    select
        {{ week_start('cost_date') }} as week_start,
        team_id,
        {{ sum_double('billed_cost_usd') }} as billed_cost_usd,
        {{ sum_double('per_token_cost_usd') }} as per_token_cost_usd,
        {{ sum_double('flat_rate_cost_usd') }} as flat_rate_cost_usd
    from costs
    where team_id is not null
    group by {{ week_start('cost_date') }}, team_id

),

developers_weekly as (

    select
        week_start,
        team_id,
        is_covered_week,
        count(*) as developers,
        sum(case when is_ai_active then 1 else 0 end) as ai_active_developers
    from developer_weeks
    where team_id is not null
    group by week_start, team_id, is_covered_week

),

team_weeks as (

    select
        week_start,
        team_id
    from developers_weekly
    where is_covered_week

    union distinct

    select
        week_start,
        team_id
    from usage_weekly

    union distinct

    select
        week_start,
        team_id
    from deployments_weekly

    union distinct

    select
        week_start,
        team_id
    from costs_weekly

),

weeks as (

    select distinct week_start
    from team_weeks

),

week_sundays as (

    {{ week_sunday_snapshots('weeks', 'snapshot_intervals') }}

),

team_names as (

    -- the team's name and org on the week's Sunday; the latest known ones
    -- when the team is not in that day's snapshot (or the week precedes the
    -- first snapshot)
    select
        team_weeks.week_start,
        team_weeks.team_id,
        team_history.team_name,
        team_history.org_name,
        row_number() over (
            partition by team_weeks.week_start, team_weeks.team_id
            order by
                coalesce(team_history.valid_from = week_sundays.snapshot_date, false) desc,
                team_history.valid_from desc
        ) as name_rank
    from team_weeks
    left join week_sundays
        on team_weeks.week_start = week_sundays.week_start
    inner join team_history
        on team_weeks.team_id = team_history.team_id

),

last_covered_day as (

    select max(date_day) as last_day
    from covered_days

),

metrics as (

    select
        team_weeks.week_start,
        team_weeks.team_id,
        team_names.team_name,
        team_names.org_name,
        coalesce(developers_weekly.developers, 0) as developers,
        coalesce(developers_weekly.ai_active_developers, 0) as ai_active_developers,
        coalesce(usage_weekly.total_tokens, 0) as total_tokens,
        coalesce(deployments_weekly.normalized_deployments, 0) as normalized_deployments,
        coalesce(deployments_weekly.ai_assisted_normalized_deployments, 0)
            as ai_assisted_normalized_deployments,
        coalesce(costs_weekly.billed_cost_usd, 0) as billed_cost_usd,
        coalesce(costs_weekly.per_token_cost_usd, 0) as per_token_cost_usd,
        coalesce(costs_weekly.flat_rate_cost_usd, 0) as flat_rate_cost_usd,
        coalesce(deployments_weekly.delivered_changes, 0) as delivered_changes,
        {{ is_provisional_week('team_weeks.week_start', 'last_covered_day.last_day') }} as is_provisional
    from team_weeks
    cross join last_covered_day
    left join developers_weekly
        on
            team_weeks.week_start = developers_weekly.week_start
            and team_weeks.team_id = developers_weekly.team_id
    left join usage_weekly
        on
            team_weeks.week_start = usage_weekly.week_start
            and team_weeks.team_id = usage_weekly.team_id
    left join deployments_weekly
        on
            team_weeks.week_start = deployments_weekly.week_start
            and team_weeks.team_id = deployments_weekly.team_id
    left join costs_weekly
        on
            team_weeks.week_start = costs_weekly.week_start
            and team_weeks.team_id = costs_weekly.team_id
    left join team_names
        on
            team_weeks.week_start = team_names.week_start
            and team_weeks.team_id = team_names.team_id
            and team_names.name_rank = 1

)

select
    week_start,
    team_id,
    team_name,
    org_name,
    cast(developers as {{ dbt.type_bigint() }}) as developers,
    cast(ai_active_developers as {{ dbt.type_bigint() }}) as ai_active_developers,
    cast(
        case when developers > 0 then ai_active_developers * 1.0 / developers end
        as {{ type_double() }}
    ) as adoption_rate,
    cast(total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
    cast(normalized_deployments as {{ dbt.type_bigint() }}) as normalized_deployments,
    cast(ai_assisted_normalized_deployments as {{ dbt.type_bigint() }})
        as ai_assisted_normalized_deployments,
    cast(
        case when developers > 0 then normalized_deployments * 1.0 / developers end
        as {{ type_double() }}
    ) as normalized_deployments_per_developer,
    cast(billed_cost_usd as {{ type_double() }}) as billed_cost_usd,
    cast(
        case when normalized_deployments > 0 then billed_cost_usd / normalized_deployments end
        as {{ type_double() }}
    ) as cost_per_normalized_deployment,
    is_provisional,
    cast(
        case when normalized_deployments > 0 then total_tokens * 1.0 / normalized_deployments end
        as {{ type_double() }}
    ) as tokens_per_normalized_deployment,
    cast(per_token_cost_usd as {{ type_double() }}) as per_token_cost_usd,
    cast(flat_rate_cost_usd as {{ type_double() }}) as flat_rate_cost_usd,
    cast(delivered_changes as {{ dbt.type_bigint() }}) as delivered_changes,
    developers < {{ var('aiw_min_group_size', 5) }} as is_below_min_group_size
from metrics
