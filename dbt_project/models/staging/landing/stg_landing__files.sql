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
        rows_skipped,
        rows_quarantined,
        file_status,
        reason as file_status_reason

    from source

)

select * from renamed
