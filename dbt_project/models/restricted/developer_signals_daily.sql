-- Grain: signal_date × employee_id, for every developer on every covered day.
-- Tokenmaxxing (metrics.md, Gaming signals). Peers: the developers of the
-- same org on the day with tokens_28d > 0 (the developer included). Suspect:
-- tokens_28d >= 10 × the peers' median tokens_28d and
-- normalized_deployments_28d <= the peers' median.
-- Change splitting (metrics.md, Deployment splitting). Peers as above,
-- restricted to normalized_deployments_28d > 0. Suspect:
-- normalized_deployments_28d >= 3 × those peers' median
-- normalized_deployments_28d and lines_per_deployment_28d <= 0.2 × their
-- median lines_per_deployment_28d.

with

windows as (

    select
        *,
        cast(
            case
                when normalized_deployments_28d > 0
                    then lines_changed_28d * 1.0 / normalized_deployments_28d
            end
            as {{ type_double() }}
        ) as lines_per_deployment_28d
    from {{ ref('int_signals__developer_windows_28d') }}

),

peer_medians as (

    -- peers: the org's developers on the day with tokens_28d > 0; splitting
    -- peers: those of them with normalized_deployments_28d > 0 (a median
    -- ignores the nulls the other peers give it)
    select
        date_day,
        org_name,
        count(*) as peers,
        {{ median('tokens_28d') }} as peer_median_tokens_28d,
        {{ median('normalized_deployments_28d') }} as peer_median_normalized_deployments_28d,
        sum(case when normalized_deployments_28d > 0 then 1 else 0 end) as splitting_peers,
        {{ median('case when normalized_deployments_28d > 0 then normalized_deployments_28d end') }}
            as splitting_peer_median_normalized_deployments_28d,
        {{ median('case when normalized_deployments_28d > 0 then lines_per_deployment_28d end') }}
            as peer_median_lines_per_deployment_28d
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
    windows.lines_changed_28d,
    windows.lines_per_deployment_28d,
    peer_medians.peer_median_lines_per_deployment_28d,
    coalesce(
        windows.normalized_deployments_28d
        >= 3 * peer_medians.splitting_peer_median_normalized_deployments_28d
        -- lines / deployments <= 0.2 × median, multiplied out so that a
        -- value exactly on the line is not lost to floating-point rounding
        and 5 * windows.lines_changed_28d
        <= peer_medians.peer_median_lines_per_deployment_28d
        * windows.normalized_deployments_28d,
        false
    ) as is_change_splitting_suspect,
    windows.team_id,
    cast(coalesce(peer_medians.peers, 0) as {{ dbt.type_bigint() }}) as peers,
    cast(
        case
            when peer_medians.peer_median_tokens_28d > 0
                then windows.tokens_28d / peer_medians.peer_median_tokens_28d
        end
        as {{ type_double() }}
    ) as tokens_to_peer_median_ratio,
    cast(coalesce(peer_medians.splitting_peers, 0) as {{ dbt.type_bigint() }})
        as splitting_peers,
    peer_medians.splitting_peer_median_normalized_deployments_28d
from windows
left join peer_medians
    on
        windows.date_day = peer_medians.date_day
        and {{ null_safe_equals('windows.org_name', 'peer_medians.org_name') }}
