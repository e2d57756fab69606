-- Grain: signal_date × employee_id, for every developer on every covered day.
-- Peers: the developers of the same org on the day with tokens_28d > 0 (the
-- developer included). Suspect: tokens_28d >= 10 × the peers' median
-- tokens_28d and normalized_deployments_28d <= the peers' median.

with

windows as (

    select * from {{ ref('int_signals__developer_windows_28d') }}

),

peer_medians as (

    select
        date_day,
        org_name,
        count(*) as peers,
        {{ median('tokens_28d') }} as peer_median_tokens_28d,
        {{ median('normalized_deployments_28d') }} as peer_median_normalized_deployments_28d
    from windows
    where tokens_28d > 0
    group by date_day, org_name

)

select
    windows.date_day as signal_date,
    windows.employee_id,
    windows.org_name,
    windows.tokens_28d,
    windows.normalized_deployments_28d,
    peer_medians.peer_median_tokens_28d,
    peer_medians.peer_median_normalized_deployments_28d,
    coalesce(
        windows.tokens_28d >= 10 * peer_medians.peer_median_tokens_28d
        and windows.normalized_deployments_28d <= peer_medians.peer_median_normalized_deployments_28d,
        false
    ) as is_tokenmaxxing_suspect,
    windows.team_id,
    cast(coalesce(peer_medians.peers, 0) as {{ dbt.type_bigint() }}) as peers,
    cast(
        case
            when peer_medians.peer_median_tokens_28d > 0
                then windows.tokens_28d / peer_medians.peer_median_tokens_28d
        end
        as {{ type_double() }}
    ) as tokens_to_peer_median_ratio
from windows
left join peer_medians
    on
        windows.date_day = peer_medians.date_day
        and {{ null_safe_equals('windows.org_name', 'peer_medians.org_name') }}
