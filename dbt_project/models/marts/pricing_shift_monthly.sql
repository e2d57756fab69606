-- Grain: month (first day). Flat-rate vs per-token cost over the month's
-- covered days; pricing_model is mixed when the regime changed within them.
-- `month` is the BI contract's column name, hence the RF04 waivers.

with

costs as (

    select * from {{ ref('fct_ai_cost_daily') }}

),

contract_days as (

    select * from {{ ref('int_contracts__daily') }}

),

monthly_costs as (

    select
        {{ month_start('cost_date') }} as month,  -- noqa: RF04
        {{ sum_double('flat_rate_cost_usd') }} as flat_rate_cost_usd,
        {{ sum_double('per_token_cost_usd') }} as per_token_cost_usd,
        {{ sum_double('billed_cost_usd') }} as billed_cost_usd
    from costs
    group by {{ month_start('cost_date') }}

),

monthly_regimes as (

    select
        month_start as month,  -- noqa: RF04
        count(*) as covered_days,
        count(distinct pricing_model) as regimes,
        min(pricing_model) as any_pricing_model
    from contract_days
    group by month_start

)

select
    monthly_regimes.month,
    cast(coalesce(monthly_costs.flat_rate_cost_usd, 0) as {{ type_double() }}) as flat_rate_cost_usd,
    cast(coalesce(monthly_costs.per_token_cost_usd, 0) as {{ type_double() }}) as per_token_cost_usd,
    cast(coalesce(monthly_costs.billed_cost_usd, 0) as {{ type_double() }}) as billed_cost_usd,
    case
        when monthly_regimes.regimes > 1 then 'mixed'
        else monthly_regimes.any_pricing_model
    end as pricing_model,
    cast(monthly_regimes.covered_days as {{ dbt.type_bigint() }}) as covered_days,
    cast(
        coalesce(monthly_costs.per_token_cost_usd, 0) - coalesce(monthly_costs.flat_rate_cost_usd, 0)
        as {{ type_double() }}
    ) as per_token_minus_flat_rate_usd
from monthly_regimes
left join monthly_costs
    on monthly_regimes.month = monthly_costs.month
