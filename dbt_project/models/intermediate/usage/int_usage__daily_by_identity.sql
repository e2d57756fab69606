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
{%- set grain = usage_daily_grain() %}
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
        {{ usage_daily_dimensions() | join(',\n        ') }},
        {% for column in usage_token_columns() %}
            case when status = 'success' then {{ column }} else 0 end as {{ column }},
        {% endfor %}
        status,
        agent_id,
        reported_cost_usd
    from requests

),

flagged as (

    -- the token types the row's requests used
    select
        *,
        {% for priced_type in priced_token_types() %}
            {{ priced_tokens(priced_type) }} > 0 as {{ priced_type.flag }},
        {% endfor %}
        cache_write_tokens > 0 as has_cache_write_tokens
    from billable

),

aggregated as (

    -- the grain (macro usage_daily_grain) includes the has_* flags
    select
        {{ grain | join(',\n        ') }},
        cast(count(*) as {{ dbt.type_bigint() }}) as requests,
        cast(sum(case when status = 'success' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as success_requests,
        cast(sum(case when status = 'error' then 1 else 0 end) as {{ dbt.type_bigint() }})
            as error_requests,
        cast(sum(case when agent_id is not null then 1 else 0 end) as {{ dbt.type_bigint() }})
            as agent_requests,
        {% for column in usage_token_columns() %}
            cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }},
        {% endfor %}
        -- 1-hour writes are part of cache_write_tokens
        cast(
            sum(input_tokens + output_tokens + cache_write_tokens + cache_read_tokens)
            as {{ dbt.type_bigint() }}
        ) as total_tokens,
        -- the source's own cost figure (comparison only), null for the gateway
        {{ sum_double('reported_cost_usd') }} as reported_cost_usd
    from flagged
    group by {{ grain | join(', ') }}

)

select * from aggregated
