-- Copilot user-days (sources.md, GitHub Copilot usage metrics), one per
-- day × login: of several copies the last file in path order wins, then its
-- last line. Resolved to the employee through the github_login identity in
-- force that day. A day with user_initiated_interaction_count > 0 is an
-- active Copilot day (metrics.md, AI-active).

with

ranked as (

    select
        *,
        row_number() over (
            partition by activity_date, identity_value
            order by source_file desc, line_number desc
        ) as copy_rank
    from {{ ref('stg_copilot__user_days') }}

)

select
    ranked.activity_date,
    ranked.identity_type,
    ranked.identity_value,
    identities.employee_id,
    identities.team_id,
    cast(ranked.user_initiated_interaction_count as {{ dbt.type_bigint() }}) as interactions,
    coalesce(ranked.user_initiated_interaction_count, 0) > 0 as is_active,
    ranked.code_generation_activity_count,
    ranked.code_acceptance_activity_count,
    ranked.loc_added_sum,
    ranked.used_agent,
    ranked.used_chat
from ranked
left join {{ ref('int_identities__daily_resolution') }} as identities
    on
        ranked.activity_date = identities.activity_date
        and ranked.identity_type = identities.identity_type
        and {{ null_safe_equals('ranked.identity_value', 'identities.identity_value') }}
where ranked.copy_rank = 1
