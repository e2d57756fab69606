with

source as (

    select * from {{ source('copilot', 'copilot_user_days') }}

),

renamed as (

    select
        day as activity_date,
        user_login,
        -- GitHub logins are case-insensitive; identities match trimmed, lower case
        'github_login' as identity_type,
        lower(trim(user_login)) as identity_value,
        user_initiated_interaction_count,
        code_generation_activity_count,
        code_acceptance_activity_count,
        loc_added_sum,
        used_agent,
        used_chat,
        dt as landing_date,
        source_file,
        line_number

    from source

)

select * from renamed
