with

source as (

    select * from {{ source('provider_costs', 'provider_cost_results') }}

),

renamed as (

    select
        provider,
        cast(bucket_starting_at as date) as cost_date,
        bucket_starting_at,
        bucket_ending_at,
        workspace_id,
        description,
        cost_type,
        context_window,
        model,
        service_tier,
        token_type,
        inference_geo,
        currency,
        amount_cents,
        {{ cents_to_dollars('amount_cents') }} as amount_usd,
        source_file,
        result_ordinal

    from source

)

select * from renamed
