-- LiteLLM spend-log rows as canonical requests (sources.md, LiteLLM proxy
-- spend logs). One row per raw row: duplicates are decided downstream by the
-- winning-copy rule, per source.

with

source as (

    select * from {{ source('litellm', 'litellm_spend_logs') }}

),

identified as (

    select
        *,
        nullif(trim(litellm_user), '') as user_value,
        nullif(trim(api_key), '') as api_key_value
    from source

),

renamed as (

    select
        request_id,
        start_time as requested_at,
        cast(start_time as date) as usage_date,
        -- identity: `user` when it holds an email, else `user` as a LiteLLM
        -- user id, else the hashed API key
        case
            when user_value like '%_@_%' then 'email'
            when user_value is not null then 'litellm_user'
            when api_key_value is not null then 'litellm_api_key'
        end as identity_type,
        lower(coalesce(user_value, api_key_value)) as identity_value,
        coalesce(
            {{ first_known_client('request_tags', var('aiw_known_clients')) }},
            'litellm'
        ) as client,
        agent_id,
        session_id,
        -- the price book names models without LiteLLM's provider/ prefix
        regexp_replace(model, '^.*/', '') as model,  -- noqa: RF04
        'standard' as service_tier,
        -- exports older than LiteLLM's status column deliver none: those rows
        -- were logged on success (failures were not spend-logged then)
        case
            when coalesce(status, 'success') = 'success' then 'success' else 'error'
        end as status,
        input_tokens,
        completion_tokens as output_tokens,
        cache_creation_input_tokens as cache_write_tokens,
        cast(0 as {{ dbt.type_bigint() }}) as cache_write_1h_tokens,
        cache_read_input_tokens as cache_read_tokens,
        spend as reported_cost_usd,
        dt as landing_date,
        source_file,
        line_number,
        cast(0 as {{ dbt.type_bigint() }}) as record_index

    from identified

)

select * from renamed
