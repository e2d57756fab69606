with

source as (

    select * from {{ source('landing', 'landing_files') }}

),

renamed as (

    select
        source,
        dt as landing_date,
        source_file,
        content_sha256,
        lines_read,
        rows_loaded,
        rows_quarantined,
        file_status

    from source

)

select * from renamed
