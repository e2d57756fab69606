-- Grain: cost_date × employee_id over covered days: a row for every employee
-- active that day, every employee with usage that day, and one row with a null
-- employee when unattributed usage exists that day. Both regimes are computed
-- on every day; billed_cost_usd is the one the contract in force names.

with

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

employee_days as (

    select * from {{ ref('int_employees__daily') }}

),

contract_days as (

    select * from {{ ref('int_contracts__daily') }}

),

usage_costs as (

    -- unpriced requests add nothing to the per-token cost and raise the flag;
    -- the unattributed rows of a day collapse into one null-employee row
    select
        priced_usage.usage_date as cost_date,
        priced_usage.employee_id,
        {{ sum_double('coalesce(priced_usage.list_cost_usd, 0)') }} as per_token_cost_usd,
        {{ dbt.bool_or('priced_usage.is_unpriced') }} as has_unpriced_usage
    from {{ ref('int_usage__daily_priced') }} as priced_usage
    inner join covered_days
        on priced_usage.usage_date = covered_days.date_day
    group by priced_usage.usage_date, priced_usage.employee_id

),

spine as (

    select
        date_day as cost_date,
        employee_id
    from employee_days
    where is_active

    union distinct

    select
        cost_date,
        employee_id
    from usage_costs

)

select
    spine.cost_date,
    spine.employee_id,
    employee_days.team_id,
    contract_days.pricing_model,
    cast(coalesce(usage_costs.per_token_cost_usd, 0) as {{ type_double() }}) as per_token_cost_usd,
    cast(
        case when employee_days.is_active then contract_days.seat_usd_per_day else 0 end
        as {{ type_double() }}
    ) as flat_rate_cost_usd,
    cast(
        case contract_days.pricing_model
            when 'flat_rate'
                then case when employee_days.is_active then contract_days.seat_usd_per_day else 0 end
            when 'per_token' then coalesce(usage_costs.per_token_cost_usd, 0)
        end
        as {{ type_double() }}
    ) as billed_cost_usd,
    coalesce(usage_costs.has_unpriced_usage, false) as has_unpriced_usage,
    contract_days.contract_id,
    coalesce(employee_days.is_active, false) as is_active_employee,
    spine.employee_id is not null as is_attributed
from spine
left join employee_days
    on
        spine.cost_date = employee_days.date_day
        and spine.employee_id = employee_days.employee_id
left join usage_costs
    on
        spine.cost_date = usage_costs.cost_date
        and {{ null_safe_equals('spine.employee_id', 'usage_costs.employee_id') }}
left join contract_days
    on spine.cost_date = contract_days.date_day
