-- Grain: usage_date × employee_id × model × client (employee_id null for
-- unattributed usage). list_cost_usd is null, and is_unpriced true, when any
-- request of the row is unpriced.

with

priced_usage as (

    select * from {{ ref('int_usage__daily_priced') }}

),

aggregated as (

    select
        usage_date,
        employee_id,
        team_id,
        model,
        client,
        sum(requests) as requests,
        sum(error_requests) as error_requests,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(cache_read_tokens) as cache_read_tokens,
        sum(cache_write_1h_tokens) as cache_write_1h_tokens,
        sum(total_tokens) as total_tokens,
        {{ sum_double('list_cost_usd') }} as priced_cost_usd,
        {{ dbt.bool_or('is_unpriced') }} as is_unpriced,
        sum(success_requests) as success_requests,
        sum(agent_requests) as agent_requests,
        sum(case when service_tier = 'batch' then requests else 0 end) as batch_requests,
        -- one price set per usage_date × model, so one value per row
        max(prices_effective_from) as prices_effective_from,
        max(price_book_version) as price_book_version
    from priced_usage
    group by usage_date, employee_id, team_id, model, client

)

select
    usage_date,
    employee_id,
    team_id,
    model,
    client,
    cast(requests as {{ dbt.type_bigint() }}) as requests,
    cast(error_requests as {{ dbt.type_bigint() }}) as error_requests,
    cast(input_tokens as {{ dbt.type_bigint() }}) as input_tokens,
    cast(output_tokens as {{ dbt.type_bigint() }}) as output_tokens,
    cast(cache_write_tokens as {{ dbt.type_bigint() }}) as cache_write_tokens,
    cast(cache_write_1h_tokens as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
    cast(cache_read_tokens as {{ dbt.type_bigint() }}) as cache_read_tokens,
    cast(total_tokens as {{ dbt.type_bigint() }}) as total_tokens,
    cast(case when not is_unpriced then priced_cost_usd end as {{ type_double() }}) as list_cost_usd,
    is_unpriced,
    cast(success_requests as {{ dbt.type_bigint() }}) as success_requests,
    cast(agent_requests as {{ dbt.type_bigint() }}) as agent_requests,
    cast(batch_requests as {{ dbt.type_bigint() }}) as batch_requests,
    employee_id is not null as is_attributed,
    prices_effective_from,
    price_book_version
from aggregated
