with

source as (

    select * from {{ source('reference', 'contracts') }}

),

renamed as (

    select
        contract_id,
        pricing_model,
        seat_usd_per_month,
        effective_from,
        effective_to,
        source_file,
        line_number

    from source

)

select * from renamed
