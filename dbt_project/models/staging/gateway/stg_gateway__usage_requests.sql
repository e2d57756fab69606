with

source as (

    select * from {{ source('gateway', 'usage_requests') }}

),

renamed as (

    select
        request_id,
        requested_at,
        cast(requested_at as date) as usage_date,
        user_email,
        -- roster matching is case-insensitive and ignores surrounding spaces
        lower(trim(user_email)) as user_email_normalized,
        -- the canonical request's identity: the gateway always names an email
        'email' as identity_type,
        lower(trim(user_email)) as identity_value,
        client,
        agent_id,
        session_id,
        model,
        coalesce(service_tier, 'standard') as service_tier,
        status,
        input_tokens,
        output_tokens,
        -- cache writes are 5-minute and 1-hour writes together; the split is
        -- optional and, when absent, every write is a 5-minute write
        cache_creation_input_tokens as cache_write_tokens,
        coalesce(ephemeral_1h_input_tokens, 0) as cache_write_1h_tokens,
        cache_read_input_tokens as cache_read_tokens,
        latency_ms,
        dt as landing_date,
        source_file,
        line_number,
        cast(0 as {{ dbt.type_bigint() }}) as record_index,
        -- the gateway reports no cost of its own
        cast(null as {{ type_double() }}) as reported_cost_usd

    from source

)

select * from renamed
