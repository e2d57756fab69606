-- The pricing regime of every covered day and the flat-rate seat cost per
-- active employee that day. The seat rate is computed for every covered day,
-- even under a per_token contract, so both regimes can be compared:
--   pricing_model: the contract in force on the day (effective_to exclusive)
--   seat rate:     seat_usd_per_month of the latest flat_rate contract whose
--                  effective_from is on or before the day, / days in the month;
--                  zero when no flat-rate contract ever started

with

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

contracts as (

    select * from {{ ref('stg_reference__contracts') }}

),

contracts_in_force as (

    -- exactly one contract should be in force; if two overlap the one that
    -- started last wins, deterministically
    select
        covered_days.date_day,
        contracts.contract_id,
        contracts.pricing_model,
        row_number() over (
            partition by covered_days.date_day
            order by contracts.effective_from desc, contracts.contract_id desc
        ) as contract_rank
    from covered_days
    inner join contracts
        on {{ is_valid_on('covered_days.date_day', 'contracts', 'effective_from', 'effective_to') }}

),

flat_rate_contracts as (

    select
        covered_days.date_day,
        contracts.contract_id,
        contracts.seat_usd_per_month,
        row_number() over (
            partition by covered_days.date_day
            order by contracts.effective_from desc, contracts.contract_id desc
        ) as contract_rank
    from covered_days
    inner join contracts
        on
            covered_days.date_day >= contracts.effective_from
            and contracts.pricing_model = 'flat_rate'

)

select
    covered_days.date_day,
    covered_days.month_start,
    covered_days.days_in_month,
    contracts_in_force.contract_id,
    contracts_in_force.pricing_model,
    flat_rate_contracts.contract_id as flat_rate_contract_id,
    flat_rate_contracts.seat_usd_per_month,
    cast(
        coalesce(flat_rate_contracts.seat_usd_per_month, 0) / covered_days.days_in_month
        as {{ type_double() }}
    ) as seat_usd_per_day
from covered_days
left join contracts_in_force
    on
        covered_days.date_day = contracts_in_force.date_day
        and contracts_in_force.contract_rank = 1
left join flat_rate_contracts
    on
        covered_days.date_day = flat_rate_contracts.date_day
        and flat_rate_contracts.contract_rank = 1
