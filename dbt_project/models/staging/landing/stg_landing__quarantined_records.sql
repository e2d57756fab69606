with

source as (

    select * from {{ source('landing', 'quarantined_records') }}

),

renamed as (

    select
        source,
        dt as landing_date,
        source_file,
        line_number,
        reason,
        detail,
        raw_text,
        record_key

    from source

)

select * from renamed
