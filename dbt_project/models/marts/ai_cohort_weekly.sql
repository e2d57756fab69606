-- Grain: week_start × org_name × cohort (metrics.md, Is AI worth it).
-- Each developer of week W (developers on its Sunday, int_developers__weekly)
-- falls in one cohort by their billable tokens in W:
-- `none` with 0 tokens; the others by ntile(3) over the org's developers with
-- tokens in W, ordered by tokens then employee_id (1 light, 2 moderate,
-- 3 heavy). Their normalized deployments (delivered in W) and billed cost
-- (their cost rows in W) follow them, whatever team they were attributed to.
-- Cohorts of fewer than aiw_min_group_size developers show only `developers`.

with

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

developer_weeks as (

    select
        week_start,
        org_name,
        employee_id,
        total_tokens as tokens,
        normalized_deployments,
        ai_assisted_normalized_deployments,
        billed_cost_usd
    from {{ ref('int_developers__weekly') }}
    where is_covered_week

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
        {{ is_below_min_group_size('count(*)') }} as is_suppressed
    from cohorts
    group by week_start, org_name, cohort, cohort_rank

),

last_covered_day as (

    select max(date_day) as last_day
    from covered_days

),

dated as (

    select
        grouped.*,
        last_covered_day.last_day
    from grouped
    cross join last_covered_day

)

select
    week_start,
    org_name,
    cohort,
    cast(developers as {{ dbt.type_bigint() }}) as developers,
    cast({{ unless_suppressed('normalized_deployments') }} as {{ dbt.type_bigint() }}) as normalized_deployments,
    {{ unless_suppressed(ratio('normalized_deployments', 'developers')) }} as normalized_deployments_per_developer,
    cast({{ unless_suppressed('billed_cost_usd') }} as {{ type_double() }}) as billed_cost_usd,
    {{ unless_suppressed(ratio('billed_cost_usd', 'normalized_deployments')) }} as cost_per_normalized_deployment,
    {{ unless_suppressed(ratio('ai_assisted_normalized_deployments', 'normalized_deployments')) }} as ai_assisted_share,
    is_suppressed,
    cast(cohort_rank as {{ dbt.type_int() }}) as cohort_rank,
    cast({{ unless_suppressed('total_tokens') }} as {{ dbt.type_bigint() }}) as total_tokens,
    {{ is_provisional_week('week_start', 'last_day') }} as is_provisional
from dated
