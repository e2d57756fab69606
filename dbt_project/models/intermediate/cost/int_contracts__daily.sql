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

contract_days as (

    -- the contracts started on or before each covered day
    select
        covered_days.date_day,
        contracts.contract_id,
        contracts.pricing_model,
        contracts.seat_usd_per_month,
        contracts.effective_from,
        {{ is_valid_on('covered_days.date_day', 'contracts', 'effective_from', 'effective_to') }} as is_in_force
    from covered_days
    inner join contracts
        on covered_days.date_day >= contracts.effective_from

),

picks as (

    -- a day picks the contract in force (its pricing model) and the latest
    -- flat-rate contract started (its seat rate): exactly one should qualify
    -- for each; if several do, the one that started last wins, deterministically
    select
        *,
        row_number() over (
            partition by date_day, pick
            order by effective_from desc, contract_id desc
        ) as contract_rank
    from (
        select
            'in_force' as pick,
            *
        from contract_days
        where is_in_force
        union all
        select
            'flat_rate' as pick,
            *
        from contract_days
        where pricing_model = 'flat_rate'
    ) as candidates

)

select
    covered_days.date_day,
    covered_days.month_start,
    covered_days.days_in_month,
    in_force.contract_id,
    in_force.pricing_model,
    flat_rate.contract_id as flat_rate_contract_id,
    flat_rate.seat_usd_per_month,
    cast(
        coalesce(flat_rate.seat_usd_per_month, 0) / covered_days.days_in_month
        as {{ type_double() }}
    ) as seat_usd_per_day
from covered_days
left join picks as in_force
    on
        covered_days.date_day = in_force.date_day
        and in_force.pick = 'in_force'
        and in_force.contract_rank = 1
left join picks as flat_rate
    on
        covered_days.date_day = flat_rate.date_day
        and flat_rate.pick = 'flat_rate'
        and flat_rate.contract_rank = 1
