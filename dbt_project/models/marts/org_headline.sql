-- Grain: one row, the organisation's headline figures (what `aiw run` and
-- `aiw demo` print and the dashboard shows first), each for the period its
-- column names: the headline week is the latest week that is no longer
-- provisional (the latest week while none is final); the other figures cover
-- the whole period of covered days (int_figures__daily summed over every
-- row, attributed or not); the reconciliation figures the latest month the
-- provider's report covers in full. No row while no week has figures.

with

team_weeks as (

    select * from {{ ref('team_weekly_metrics') }}

),

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

daily_figures as (

    select * from {{ ref('int_figures__daily') }}

),

reconciliation_months as (

    select * from {{ ref('cost_reconciliation_monthly') }}

),

signals as (

    select * from {{ ref('developer_signals_daily') }}

),

cohorts as (

    select * from {{ ref('ai_cohort_weekly') }}

),

org_weeks as (

    select
        week_start,
        sum(developers) as developers,
        sum(ai_active_developers) as ai_active_developers,
        sum(normalized_deployments) as normalized_deployments,
        {{ dbt.bool_or('is_provisional') }} as is_provisional
    from team_weeks
    group by week_start

),

headline_week as (

    select *
    from (
        select
            *,
            row_number() over (order by is_provisional asc, week_start desc) as headline_rank
        from org_weeks
    ) as ranked_weeks
    where headline_rank = 1

),

period as (

    select
        min(date_day) as first_covered_day,
        max(date_day) as last_covered_day
    from covered_days

),

totals as (

    -- a figure without any row of its fact stays null (no usage: no tokens
    -- figure)
    select {{ sum_figures() }}
    from daily_figures

),

reconciled_month as (

    -- the latest month some provider's report covers in full
    select max(month) as month  -- noqa: RF04
    from reconciliation_months
    where is_complete_month

),

reconciled_cells as (

    -- that month's models of the providers that cover it in full
    select reconciliation_months.*
    from reconciliation_months
    inner join reconciled_month
        on reconciliation_months.month = reconciled_month.month
    where reconciliation_months.is_complete_month

),

reconciled_providers as (

    select distinct provider  -- noqa: RF04
    from reconciled_cells

),

reconciliation as (

    select
        max(reconciled_cells.month) as reconciliation_month,
        {{ sum_double('reconciled_cells.estimated_cost_usd') }} as estimated_cost_usd,
        cast(sum(reconciled_cells.invoiced_cost_usd) as {{ type_double() }}) as invoiced_cost_usd,
        count(*) as models,
        sum(case when not reconciled_cells.within_tolerance then 1 else 0 end)
            as models_outside_tolerance,
        {{ dbt.bool_or('reconciled_cells.is_unpriced') }} as is_unpriced
    from reconciled_cells

),

reconciliation_providers as (

    select {{ sorted_listagg('provider', "', '") }} as providers
    from reconciled_providers

),

signal_day as (

    select max(signal_date) as signal_date
    from signals

),

suspects as (

    select
        count(distinct case when signals.is_tokenmaxxing_suspect then signals.employee_id end)
            as tokenmaxxing_suspects_ever,
        count(distinct case
            when signals.is_tokenmaxxing_suspect and signals.signal_date = signal_day.signal_date
                then signals.employee_id
        end) as tokenmaxxing_suspects,
        count(distinct case when signals.is_change_splitting_suspect then signals.employee_id end)
            as change_splitting_suspects_ever,
        count(distinct case
            when signals.is_change_splitting_suspect and signals.signal_date = signal_day.signal_date
                then signals.employee_id
        end) as change_splitting_suspects
    from signals
    cross join signal_day

),

cohort_week as (

    -- the latest week whose seven days are all covered
    select max(cohorts.week_start) as cohort_week_start
    from cohorts
    cross join period
    where {{ add_days(6, 'cohorts.week_start') }} <= period.last_covered_day

),

figures as (

    select
        headline_week.week_start as headline_week_start,
        headline_week.is_provisional as is_headline_week_provisional,
        headline_week.developers,
        headline_week.ai_active_developers,
        {{ ratio('headline_week.ai_active_developers', 'headline_week.developers') }} as adoption_rate,
        {{ ratio('headline_week.normalized_deployments', 'headline_week.developers') }}
            as normalized_deployments_per_developer,
        -- the organisation's adoption target (metrics.md), set in one place
        {{ var('aiw_adoption_target') }} as adoption_target,
        period.first_covered_day,
        period.last_covered_day,
        coalesce(totals.normalized_deployments, 0) as normalized_deployments,
        totals.total_tokens,
        totals.billed_cost_usd,
        totals.flat_rate_cost_usd,
        totals.per_token_cost_usd,
        signal_day.signal_date,
        suspects.tokenmaxxing_suspects,
        suspects.tokenmaxxing_suspects_ever,
        suspects.change_splitting_suspects,
        suspects.change_splitting_suspects_ever,
        cohort_week.cohort_week_start,
        reconciliation.reconciliation_month,
        reconciliation_providers.providers as reconciliation_providers,
        reconciliation.estimated_cost_usd as reconciliation_estimated_cost_usd,
        reconciliation.invoiced_cost_usd as reconciliation_invoiced_cost_usd,
        {{ reconciliation_difference('reconciliation.estimated_cost_usd', 'reconciliation.invoiced_cost_usd') }}
            as reconciliation_difference_usd,
        reconciliation.models as reconciliation_models,
        reconciliation.models_outside_tolerance as reconciliation_models_outside_tolerance,
        reconciliation.is_unpriced as is_reconciliation_unpriced
    from headline_week
    cross join period
    cross join totals
    cross join reconciliation
    cross join reconciliation_providers
    cross join signal_day
    cross join suspects
    cross join cohort_week

)

select
    headline_week_start,
    is_headline_week_provisional,
    cast(developers as {{ dbt.type_bigint() }}) as developers,
    cast(ai_active_developers as {{ dbt.type_bigint() }}) as ai_active_developers,
    cast(adoption_rate as {{ type_double() }}) as adoption_rate,
    cast(adoption_target as {{ type_double() }}) as adoption_target,
    coalesce(adoption_rate >= adoption_target, false) as is_adoption_target_met,
    cast(normalized_deployments_per_developer as {{ type_double() }})
        as normalized_deployments_per_developer,
    first_covered_day,
    last_covered_day,
    cast(normalized_deployments as {{ dbt.type_bigint() }}) as normalized_deployments,
    cast(total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
    {{ ratio('total_tokens', 'normalized_deployments') }} as tokens_per_normalized_deployment,
    cast(billed_cost_usd as {{ type_double() }}) as billed_cost_usd,
    {{ ratio('billed_cost_usd', 'normalized_deployments') }} as cost_per_normalized_deployment,
    cast(flat_rate_cost_usd as {{ type_double() }}) as flat_rate_cost_usd,
    cast(per_token_cost_usd as {{ type_double() }}) as per_token_cost_usd,
    signal_date,
    cast(tokenmaxxing_suspects as {{ dbt.type_bigint() }}) as tokenmaxxing_suspects,
    cast(tokenmaxxing_suspects_ever as {{ dbt.type_bigint() }}) as tokenmaxxing_suspects_ever,
    cast(change_splitting_suspects as {{ dbt.type_bigint() }}) as change_splitting_suspects,
    cast(change_splitting_suspects_ever as {{ dbt.type_bigint() }}) as change_splitting_suspects_ever,
    cohort_week_start,
    reconciliation_month,
    reconciliation_providers,
    cast(reconciliation_estimated_cost_usd as {{ type_double() }}) as reconciliation_estimated_cost_usd,
    cast(reconciliation_invoiced_cost_usd as {{ type_double() }}) as reconciliation_invoiced_cost_usd,
    cast(
        {{ reconciliation_relative_difference('reconciliation_difference_usd', 'reconciliation_invoiced_cost_usd') }}
        as {{ type_double() }}
    ) as reconciliation_relative_difference,
    cast(reconciliation_models as {{ dbt.type_bigint() }}) as reconciliation_models,
    cast(reconciliation_models_outside_tolerance as {{ dbt.type_bigint() }})
        as reconciliation_models_outside_tolerance,
    is_reconciliation_unpriced
from figures
