with

source as (

    select * from {{ source('cd', 'deploy_records') }}

),

renamed as (

    select
        deployment_id,
        change_id,
        commit_sha,
        service,
        -- the landing contract validates environment case-insensitively
        lower(trim(environment)) as environment,
        region,
        attempt,
        author_email,
        lower(trim(author_email)) as author_email_normalized,
        started_at,
        finished_at,
        status,
        rollback_of,
        lines_added,
        lines_deleted,
        ai_assisted as is_ai_assisted,
        dt as landing_date,
        source_file,
        line_number

    from source

)

select * from renamed
