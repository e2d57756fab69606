-- Copilot user-days (sources.md, GitHub Copilot usage metrics), one per
-- day × login: of several copies the last file in path order wins, then its
-- last line, and a file re-delivering earlier content is ignored (the
-- duplicate rule of every export, macro winning_copies). Resolved to the
-- employee through the github_login identity in force that day. A day with
-- user_initiated_interaction_count > 0 is an active Copilot day (metrics.md,
-- AI-active).

with

copies as (

    select * from {{ ref('stg_copilot__user_days') }}

),

user_days as (

    {{ winning_copies('copies', ['activity_date', 'identity_value']) }}

)

select
    user_days.activity_date,
    user_days.identity_type,
    user_days.identity_value,
    identities.employee_id,
    identities.team_id,
    cast(user_days.user_initiated_interaction_count as {{ dbt.type_bigint() }}) as interactions,
    coalesce(user_days.user_initiated_interaction_count, 0) > 0 as is_active,
    user_days.code_generation_activity_count,
    user_days.code_acceptance_activity_count,
    user_days.loc_added_sum,
    user_days.used_agent,
    user_days.used_chat
from user_days
left join {{ ref('int_identities__daily_resolution') }} as identities
    on
        user_days.activity_date = identities.activity_date
        and user_days.identity_type = identities.identity_type
        and {{ null_safe_equals('user_days.identity_value', 'identities.identity_value') }}
