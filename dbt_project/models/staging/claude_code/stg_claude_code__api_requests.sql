-- Claude Code api_request / api_error records as canonical requests
-- (sources.md, Claude Code telemetry). One row per raw record: duplicates are
-- decided downstream by the winning-copy rule, per source.

with

source as (

    select * from {{ source('claude_code', 'claude_code_api_requests') }}

),

renamed as (

    select
        request_id,
        requested_at,
        cast(requested_at as date) as usage_date,
        -- identity: user.email, else the Claude account (identities.csv maps it)
        case
            when nullif(trim(user_email), '') is not null then 'email'
            when nullif(trim(account_uuid), '') is not null then 'claude_account'
        end as identity_type,
        lower(trim(coalesce(nullif(trim(user_email), ''), account_uuid))) as identity_value,
        'claude_code' as client,
        cast(null as {{ dbt.type_string() }}) as agent_id,
        session_id,
        model,
        'standard' as service_tier,
        case when event_name = 'api_error' then 'error' else 'success' end as status,
        input_tokens,
        output_tokens,
        -- the events do not split cache writes: all are priced as 5-minute writes
        cache_creation_tokens as cache_write_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cache_read_tokens,
        cost_usd as reported_cost_usd,
        dt as landing_date,
        source_file,
        line_number,
        record_index

    from source

)

select * from renamed
