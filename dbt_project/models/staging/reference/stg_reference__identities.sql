with

source as (

    select * from {{ source('reference', 'identities') }}

),

renamed as (

    select
        employee_id,
        identity_type,
        -- identities compare case-insensitively, ignoring surrounding spaces
        lower(trim(identity_value)) as identity_value,
        effective_from,
        effective_to,
        source_file,
        line_number

    from source

)

select * from renamed
