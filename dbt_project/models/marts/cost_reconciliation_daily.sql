-- The warehouse's estimate held against what the provider invoices.
-- Grain: cost_date × provider × model (cells with an estimate, an invoice,
-- or both).
--   estimated:  Σ list cost of the provider's requests that day (unpriced
--               requests add nothing and set is_unpriced)
--   invoiced:   the cost report's token amount; 0 on a day the report covers
--               without this model; null on a day it does not cover (nothing
--               to reconcile yet)
--   tolerance:  macros/reconciliation.sql (one rule for days and months)
-- `provider` is the BI contract's column name, hence the RF04 waivers.

with

priced_usage as (

    select * from {{ ref('int_usage__daily_priced') }}

),

invoiced as (

    select * from {{ ref('int_provider_costs__invoiced_daily') }}

),

covered_days as (

    select * from {{ ref('stg_provider_costs__covered_days') }}

),

estimated as (

    select
        usage_date as cost_date,
        {{ provider_of_model('model') }} as provider,  -- noqa: RF04
        model,
        {{ sum_double('list_cost_usd') }} as estimated_cost_usd,
        {{ dbt.bool_or('is_unpriced') }} as is_unpriced,
        max(price_book_version) as price_book_version
    from priced_usage
    group by usage_date, {{ provider_of_model('model') }}, model

),

cells as (

    select
        coalesce(estimated.cost_date, invoiced.cost_date) as cost_date,
        coalesce(estimated.provider, invoiced.provider) as provider,  -- noqa: RF04
        coalesce(estimated.model, invoiced.model) as model,  -- noqa: RF04
        coalesce(estimated.estimated_cost_usd, 0) as estimated_cost_usd,
        invoiced.invoiced_cost_usd,
        coalesce(estimated.is_unpriced, false) as is_unpriced,
        estimated.price_book_version
    from estimated
    full outer join invoiced
        on
            estimated.cost_date = invoiced.cost_date
            and estimated.provider = invoiced.provider
            and estimated.model = invoiced.model

),

reconciled as (

    select
        cells.cost_date,
        cells.provider,
        cells.model,
        cast(cells.estimated_cost_usd as {{ type_double() }}) as estimated_cost_usd,
        case
            when covered_days.cost_date is not null
                then coalesce(cells.invoiced_cost_usd, 0)
        end as invoiced_cost_usd,
        cells.is_unpriced,
        cells.price_book_version
    from cells
    left join covered_days
        on
            cells.provider = covered_days.provider
            and cells.cost_date = covered_days.cost_date

),

compared as (

    select
        *,
        {{ reconciliation_difference('estimated_cost_usd', 'invoiced_cost_usd') }} as difference_usd
    from reconciled

)

select
    cost_date,
    provider,
    model,
    estimated_cost_usd,
    cast(invoiced_cost_usd as decimal(38, 14)) as invoiced_cost_usd,
    difference_usd,
    {{ reconciliation_relative_difference('difference_usd', 'invoiced_cost_usd') }} as relative_difference,
    is_unpriced,
    {{ within_reconciliation_tolerance('difference_usd', 'estimated_cost_usd', 'invoiced_cost_usd') }}
        as within_tolerance,
    invoiced_cost_usd is not null as is_invoiced,
    price_book_version
from compared
