-- Grain: month × job_level. AI spend as a share of salary cost, aggregated by
-- job level (the only way salary may leave the restricted schema). Salary cost
-- of an employee-day = annual_salary_usd / days in that year, for every
-- covered day the employee is active. Groups with fewer distinct employees
-- than aiw_min_group_size show null figures and is_suppressed.
-- Restricted for now (see the yml). `month` matches pricing_shift_monthly's
-- column name, hence the RF04 waiver.

with

covered_days as (

    select * from {{ ref('int_calendar__covered_days') }}

),

employee_days as (

    select * from {{ ref('int_employees__daily') }}

),

costs as (

    select * from {{ ref('fct_ai_cost_daily') }}

),

active_employee_days as (

    select
        covered_days.date_day,
        covered_days.month_start,
        employee_days.employee_id,
        employee_days.job_level,
        employee_days.annual_salary_usd
        / {{ days_in_year('covered_days.date_day') }} as salary_cost_usd
    from covered_days
    inner join employee_days
        on covered_days.date_day = employee_days.date_day
    where employee_days.is_active

),

joined as (

    select
        active_employee_days.month_start,
        active_employee_days.job_level,
        active_employee_days.employee_id,
        active_employee_days.salary_cost_usd,
        coalesce(costs.per_token_cost_usd, 0) as per_token_cost_usd,
        coalesce(costs.flat_rate_cost_usd, 0) as flat_rate_cost_usd,
        coalesce(costs.billed_cost_usd, 0) as billed_cost_usd
    from active_employee_days
    left join costs
        on
            active_employee_days.date_day = costs.cost_date
            and active_employee_days.employee_id = costs.employee_id

),

aggregated as (

    select
        month_start,
        job_level,
        count(distinct employee_id) as employees,
        count(*) as employee_days,
        {{ sum_double('salary_cost_usd') }} as salary_cost_usd,
        {{ sum_double('per_token_cost_usd') }} as per_token_cost_usd,
        {{ sum_double('flat_rate_cost_usd') }} as flat_rate_cost_usd,
        {{ sum_double('billed_cost_usd') }} as billed_cost_usd
    from joined
    group by month_start, job_level

),

flagged as (

    select
        *,
        {{ is_below_min_group_size('employees') }} as is_suppressed
    from aggregated

)

select
    month_start as month,  -- noqa: RF04
    job_level,
    cast({{ unless_suppressed('employees') }} as {{ dbt.type_bigint() }}) as employees,
    cast({{ unless_suppressed('employee_days') }} as {{ dbt.type_bigint() }}) as employee_days,
    cast({{ unless_suppressed('salary_cost_usd') }} as {{ type_double() }}) as salary_cost_usd,
    cast({{ unless_suppressed('per_token_cost_usd') }} as {{ type_double() }}) as per_token_cost_usd,
    cast({{ unless_suppressed('flat_rate_cost_usd') }} as {{ type_double() }}) as flat_rate_cost_usd,
    cast({{ unless_suppressed('billed_cost_usd') }} as {{ type_double() }}) as billed_cost_usd,
    {{ unless_suppressed(ratio('per_token_cost_usd', 'salary_cost_usd')) }} as per_token_share_of_salary,
    {{ unless_suppressed(ratio('billed_cost_usd', 'salary_cost_usd')) }} as billed_share_of_salary,
    is_suppressed
from flagged
