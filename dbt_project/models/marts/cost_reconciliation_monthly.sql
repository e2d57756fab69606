{{ config(materialized='view') }}
-- cost_reconciliation_daily rolled up to month × provider × model. A month is
-- complete when the provider's report covers every one of its days; a
-- complete, fully priced month outside tolerance blocks publishing (the
-- blocking check reads blocks_publish), a day outside is a warning.

with

daily as (

    select * from {{ ref('cost_reconciliation_daily') }}

),

covered_days as (

    select * from {{ ref('stg_provider_costs__covered_days') }}

),

coverage as (

    select
        provider,
        {{ month_start('cost_date') }} as month,  -- noqa: RF04
        count(*) as covered_days
    from covered_days
    group by provider, {{ month_start('cost_date') }}

),

monthly as (

    select
        {{ month_start('cost_date') }} as month,  -- noqa: RF04
        provider,
        model,
        {{ sum_double('estimated_cost_usd') }} as estimated_cost_usd,
        sum(invoiced_cost_usd) as invoiced_cost_usd,
        {{ dbt.bool_or('is_unpriced') }} as is_unpriced,
        sum(case when within_tolerance = false then 1 else 0 end) as days_outside_tolerance
    from daily
    group by {{ month_start('cost_date') }}, provider, model

),

judged as (

    select
        monthly.*,
        {{ reconciliation_difference('monthly.estimated_cost_usd', 'monthly.invoiced_cost_usd') }}
            as difference_usd,
        coalesce(coverage.covered_days, 0) = {{ days_in_month('monthly.month') }}
            as is_complete_month
    from monthly
    left join coverage
        on
            monthly.provider = coverage.provider
            and monthly.month = coverage.month

),

compared as (

    select
        *,
        {{ reconciliation_relative_difference('difference_usd', 'invoiced_cost_usd') }}
            as relative_difference,
        {{ within_reconciliation_tolerance('difference_usd', 'estimated_cost_usd', 'invoiced_cost_usd') }}
            as within_tolerance
    from judged

)

select
    month,
    provider,
    model,
    cast(estimated_cost_usd as {{ type_double() }}) as estimated_cost_usd,
    cast(invoiced_cost_usd as decimal(38, 14)) as invoiced_cost_usd,
    difference_usd,
    relative_difference,
    is_unpriced,
    within_tolerance,
    is_complete_month,
    cast(days_outside_tolerance as {{ dbt.type_bigint() }}) as days_outside_tolerance,
    -- an unpriced estimate is incomplete by construction: it is flagged, and
    -- its days warn, but it cannot prove the price book wrong
    coalesce(is_complete_month and not within_tolerance and not is_unpriced, false)
        as blocks_publish
from compared
