-- Grain: source × identity_type × identity_value (sources.md, Identities):
-- every identity with activity it could not be attributed through (no claim
-- in force that day, or claims by several employees), with the unattributed
-- activity only — the work list for whoever keeps the identity map. Events
-- are requests for the request sources and user-initiated interactions for
-- Copilot (as requests_or_interactions in fct_ai_activity_daily).

with

unattributed_requests as (

    select
        source,
        identity_type,
        identity_value,
        min(usage_date) as first_seen,
        max(usage_date) as last_seen,
        sum(requests) as events,
        sum(total_tokens) as billable_tokens
    from {{ ref('int_usage__daily_priced') }}
    where employee_id is null
    group by source, identity_type, identity_value

),

unattributed_copilot as (

    select
        'copilot' as source,  -- noqa: RF04
        identity_type,
        identity_value,
        min(activity_date) as first_seen,
        max(activity_date) as last_seen,
        sum(coalesce(interactions, 0)) as events,
        null as billable_tokens
    from {{ ref('int_copilot__user_days') }}
    where employee_id is null
    group by identity_type, identity_value

),

unmatched as (

    select * from unattributed_requests
    union all
    select * from unattributed_copilot

),

ambiguous as (

    select distinct
        identity_type,
        identity_value
    from {{ ref('int_identities__daily_resolution') }}
    where is_ambiguous

)

select
    cast(unmatched.source as {{ dbt.type_string() }}) as source,  -- noqa: RF04
    cast(unmatched.identity_type as {{ dbt.type_string() }}) as identity_type,
    cast(unmatched.identity_value as {{ dbt.type_string() }}) as identity_value,
    cast(unmatched.first_seen as date) as first_seen,
    cast(unmatched.last_seen as date) as last_seen,
    cast(unmatched.events as {{ dbt.type_bigint() }}) as events,
    cast(unmatched.billable_tokens as {{ dbt.type_bigint() }}) as billable_tokens,
    ambiguous.identity_value is not null as is_ambiguous
from unmatched
left join ambiguous
    on
        {{ null_safe_equals('unmatched.identity_type', 'ambiguous.identity_type') }}
        and {{ null_safe_equals('unmatched.identity_value', 'ambiguous.identity_value') }}
