with

source as (

    select * from {{ source('reference', 'price_book') }}

),

renamed as (

    select
        model,
        token_type,
        usd_per_mtok,
        effective_from,
        effective_to,
        source_file,
        line_number

    from source

)

select * from renamed
