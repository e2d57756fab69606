{#
    The only model that reads request-level usage (about 1M rows a day at
    scale), of every request source through the canonical request
    (int_usage__requests). Incremental by usage day: each run deletes and re-inserts exactly
    the days queued in raw.usage_days_to_rebuild (the request days of every
    row a partition load removed or added, and every day holding another
    copy of a request_id it touched), so a correction or a withdrawal
    reaches every day it touched, and one event 40 days late costs one extra
    day, not 40. The first run (or --full-refresh) builds every day. A
    post-hook empties the queue in the same transaction as the insert, so a
    failed run leaves it for the next one. Everything downstream is rebuilt
    from this small daily grain, so roster and price corrections apply to all
    history without re-reading requests.
#}
-- depends_on: {{ source('gateway', 'usage_days_to_rebuild') }}
-- depends_on: {{ ref('int_landing__redelivered_files') }}
-- the extractor of every request source queues the days it touches in the one queue
{%- if is_incremental() %}
    {%- set on_rebuilt_days = requested_on_days_to_rebuild(source('gateway', 'usage_days_to_rebuild')) %}
{%- endif %}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        partition_by=usage_days_partition_by(),
        pre_hook="{{ delete_days_to_rebuild(this, source('gateway', 'usage_days_to_rebuild')) }}",
        post_hook="{{ empty_days_to_rebuild(source('gateway', 'usage_days_to_rebuild')) }}"
    )
}}

with

copies as (

    -- every copy of the requests (source × request_id) with a copy on a
    -- rebuilt day (a semi-join: the days' requests, then their other copies
    -- on any day), so the winner is chosen among all of a request's copies
    -- without ranking the history
    select canonical.*
    from {{ ref('int_usage__requests') }} as canonical
    {% if is_incremental() -%}
        inner join (
            select distinct
                source,
                request_id
            from {{ ref('int_usage__requests') }}
            where {{ on_rebuilt_days }}
        ) as touched
            on
                canonical.source = touched.source
                and canonical.request_id = touched.request_id
    {%- endif %}

),

winners as (

    {{ winning_copies('copies', ['source', 'request_id'], ['source_file', 'line_number', 'record_index']) }}

),

requests as (

    -- a rebuilt day counts the requests whose winning copy is on it; one whose
    -- winner moved to another day is counted there (extraction queued that
    -- day too)
    select * from winners
    {% if is_incremental() -%}
        where {{ on_rebuilt_days }}
    {%- endif %}

),

billable as (

    -- error requests are counted but carry no billable tokens
    select
        usage_date,
        source,
        identity_type,
        identity_value,
        model,
        client,
        service_tier,
        status,
        agent_id,
        reported_cost_usd,
        case when status = 'success' then input_tokens else 0 end as input_tokens,
        case when status = 'success' then output_tokens else 0 end as output_tokens,
        case when status = 'success' then cache_write_tokens else 0 end as cache_write_tokens,
        case when status = 'success' then cache_write_1h_tokens else 0 end as cache_write_1h_tokens,
        case when status = 'success' then cache_read_tokens else 0 end as cache_read_tokens
    from requests

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
        source,
        identity_type,
        identity_value,
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
        cast(sum(cache_write_1h_tokens) as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        -- the source's own cost figure (comparison only), null for the gateway
        {{ sum_double('reported_cost_usd') }} as reported_cost_usd
    from flagged
    group by
        usage_date,
        source,
        identity_type,
        identity_value,
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
