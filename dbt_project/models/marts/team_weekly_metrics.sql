-- Grain: week_start (Monday) × team_id. A row for every team with developers
-- in a week that contains a covered day, and for every team-week with
-- attributed activity in fct_token_usage_daily, fct_normalized_deployments
-- (by delivered_date, rolled back or not) or fct_ai_cost_daily.
-- Developers of a team in week W, and which of them are AI-active, come from
-- int_developers__weekly (developers on the Sunday of W); tokens, deployments
-- and cost cover everyone attributed to the team (team on the event's day):
-- the team's rows of int_figures__daily in the week.

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

figures as (

    select * from {{ ref('int_figures__daily') }}

),

team_figures as (

    -- everyone attributed to the team on the event's day, developer or not
    {{ weekly_figures('figures', 'team_id') }}

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
    from team_figures

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
        coalesce(team_figures.total_tokens, 0) as total_tokens,
        coalesce(team_figures.normalized_deployments, 0) as normalized_deployments,
        coalesce(team_figures.ai_assisted_normalized_deployments, 0)
            as ai_assisted_normalized_deployments,
        coalesce(team_figures.billed_cost_usd, 0) as billed_cost_usd,
        coalesce(team_figures.per_token_cost_usd, 0) as per_token_cost_usd,
        coalesce(team_figures.flat_rate_cost_usd, 0) as flat_rate_cost_usd,
        coalesce(team_figures.delivered_changes, 0) as delivered_changes,
        {{ is_provisional_week('team_weeks.week_start', 'last_covered_day.last_day') }} as is_provisional
    from team_weeks
    cross join last_covered_day
    left join developers_weekly
        on
            team_weeks.week_start = developers_weekly.week_start
            and team_weeks.team_id = developers_weekly.team_id
    left join team_figures
        on
            team_weeks.week_start = team_figures.week_start
            and team_weeks.team_id = team_figures.team_id
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
    {{ ratio('ai_active_developers', 'developers') }} as adoption_rate,
    cast(total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
    cast(normalized_deployments as {{ dbt.type_bigint() }}) as normalized_deployments,
    cast(ai_assisted_normalized_deployments as {{ dbt.type_bigint() }})
        as ai_assisted_normalized_deployments,
    {{ ratio('normalized_deployments', 'developers') }} as normalized_deployments_per_developer,
    cast(billed_cost_usd as {{ type_double() }}) as billed_cost_usd,
    {{ ratio('billed_cost_usd', 'normalized_deployments') }} as cost_per_normalized_deployment,
    is_provisional,
    {{ ratio('total_tokens', 'normalized_deployments') }} as tokens_per_normalized_deployment,
    cast(per_token_cost_usd as {{ type_double() }}) as per_token_cost_usd,
    cast(flat_rate_cost_usd as {{ type_double() }}) as flat_rate_cost_usd,
    cast(delivered_changes as {{ dbt.type_bigint() }}) as delivered_changes,
    {{ is_below_min_group_size('developers') }} as is_below_min_group_size
from metrics
