{#
    The only model that reads request-level usage (about 1M rows a day at
    scale). Incremental by usage day: each run deletes and re-inserts exactly
    the days queued in raw.usage_days_to_rebuild (the request days of every
    row a partition load removed or added), so a correction or a withdrawal
    reaches every day it touched, and one event 40 days late costs one extra
    day, not 40. The first run (or --full-refresh) builds every day. A
    post-hook empties the queue in the same transaction as the insert, so a
    failed run leaves it for the next one. Everything downstream is rebuilt
    from this small daily grain, so roster and price corrections apply to all
    history without re-reading requests.
#}
-- depends_on: {{ source('gateway', 'usage_days_to_rebuild') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_days_to_rebuild(this, source('gateway', 'usage_days_to_rebuild')) }}",
        post_hook="delete from {{ source('gateway', 'usage_days_to_rebuild') }}"
    )
}}

with

requests as (

    select * from {{ ref('stg_gateway__usage_requests') }}
    {% if is_incremental() -%}
        where {{ requested_on_days_to_rebuild(source('gateway', 'usage_days_to_rebuild')) }}
    {%- endif %}

),

redelivered_files as (

    select source_file from {{ ref('int_landing__redelivered_files') }}

),

first_deliveries as (

    select requests.*
    from requests
    left join redelivered_files
        on requests.source_file = redelivered_files.source_file
    where redelivered_files.source_file is null

),

ranked_copies as (

    -- the same request_id seen again counts once; where copies differ the copy
    -- in the last file in path order wins (then the last line of that file).
    -- Copies of a request keep its timestamp, so all of them fall on the same
    -- day and deduplicating among the rebuilt days is exact.
    select
        *,
        row_number() over (
            partition by request_id
            order by source_file desc, line_number desc
        ) as copy_rank
    from first_deliveries

),

deduplicated as (

    select * from ranked_copies
    where copy_rank = 1

),

billable as (

    -- error requests are counted but carry no billable tokens
    select
        usage_date,
        user_email_normalized,
        model,
        client,
        service_tier,
        status,
        agent_id,
        case when status = 'success' then input_tokens else 0 end as input_tokens,
        case when status = 'success' then output_tokens else 0 end as output_tokens,
        case when status = 'success' then cache_write_tokens else 0 end as cache_write_tokens,
        case when status = 'success' then cache_write_1h_tokens else 0 end as cache_write_1h_tokens,
        case when status = 'success' then cache_read_tokens else 0 end as cache_read_tokens
    from deduplicated

),

flagged as (

    select
        *,
        input_tokens > 0 as has_input_tokens,
        output_tokens > 0 as has_output_tokens,
        cache_write_tokens > 0 as has_cache_write_tokens,
        cache_read_tokens > 0 as has_cache_read_tokens,
        -- 5-minute and 1-hour writes have their own prices
        cache_write_tokens - cache_write_1h_tokens > 0 as has_cache_write_5m_tokens,
        cache_write_1h_tokens > 0 as has_cache_write_1h_tokens
    from billable

),

aggregated as (

    -- the has_* flags are part of the grain so pricing stays exact per request:
    -- a request is unpriced when a token type it actually used has no price,
    -- and requests sharing these flags share that verdict
    select
        usage_date,
        user_email_normalized,
        model,
        client,
        service_tier,
        has_input_tokens,
        has_output_tokens,
        has_cache_write_tokens,
        has_cache_read_tokens,
        cast(count(*) as {{ dbt.type_bigint() }}) as requests,
        cast(sum(case when status = 'success' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as success_requests,
        cast(sum(case when status = 'error' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as error_requests,
        cast(sum(case when agent_id is not null then 1 else 0 end) as {{ dbt.type_bigint() }})
            as agent_requests,
        cast(sum(input_tokens) as {{ dbt.type_bigint() }}) as input_tokens,
        cast(sum(output_tokens) as {{ dbt.type_bigint() }}) as output_tokens,
        cast(sum(cache_write_tokens) as {{ dbt.type_bigint() }}) as cache_write_tokens,
        cast(sum(cache_read_tokens) as {{ dbt.type_bigint() }}) as cache_read_tokens,
        cast(
            sum(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens)
            as {{ dbt.type_bigint() }}
        ) as total_tokens,
        -- added with the 1-hour cache-write split: kept last so an existing
        -- table gains them as appended columns
        has_cache_write_5m_tokens,
        has_cache_write_1h_tokens,
        cast(sum(cache_write_1h_tokens) as {{ dbt.type_bigint() }}) as cache_write_1h_tokens
    from flagged
    group by
        usage_date,
        user_email_normalized,
        model,
        client,
        service_tier,
        has_input_tokens,
        has_output_tokens,
        has_cache_write_tokens,
        has_cache_read_tokens,
        has_cache_write_5m_tokens,
        has_cache_write_1h_tokens

)

select * from aggregated
