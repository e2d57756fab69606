-- Grain: usage_date × employee_id × model × client (employee_id null for
-- unattributed usage). list_cost_usd is null, and is_unpriced true, when any
-- request of the row is unpriced.

with

priced_usage as (

    select * from {{ ref('int_usage__daily_priced') }}

)

select
    usage_date,
    employee_id,
    team_id,
    model,
    client,
    cast(sum(requests) as {{ dbt.type_bigint() }}) as requests,
    cast(sum(error_requests) as {{ dbt.type_bigint() }}) as error_requests,
    cast(sum(input_tokens) as {{ dbt.type_bigint() }}) as input_tokens,
    cast(sum(output_tokens) as {{ dbt.type_bigint() }}) as output_tokens,
    cast(sum(cache_write_tokens) as {{ dbt.type_bigint() }}) as cache_write_tokens,
    cast(sum(cache_write_1h_tokens) as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
    cast(sum(cache_read_tokens) as {{ dbt.type_bigint() }}) as cache_read_tokens,
    cast(sum(total_tokens) as {{ dbt.type_bigint() }}) as total_tokens,
    cast(
        case when not {{ dbt.bool_or('is_unpriced') }} then {{ sum_double('list_cost_usd') }} end
        as {{ type_double() }}
    ) as list_cost_usd,
    {{ dbt.bool_or('is_unpriced') }} as is_unpriced,
    cast(sum(success_requests) as {{ dbt.type_bigint() }}) as success_requests,
    cast(sum(agent_requests) as {{ dbt.type_bigint() }}) as agent_requests,
    cast(sum(case when service_tier = 'batch' then requests else 0 end) as {{ dbt.type_bigint() }})
        as batch_requests,
    employee_id is not null as is_attributed,
    -- one price set per usage_date × model, so one value per row
    max(prices_effective_from) as prices_effective_from,
    max(price_book_version) as price_book_version
from priced_usage
group by usage_date, employee_id, team_id, model, client
