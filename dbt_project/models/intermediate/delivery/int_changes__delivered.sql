-- One row per delivered change (metrics.md, Normalized deployments).
--   delivered:   finished_at of the earliest succeeded production deployment
--                that is not itself a rollback (ties: smaller deployment_id);
--                regions, retries and re-deploys never count again
--   rolled back: a succeeded production rollback of ANY production deployment
--                of the change, finished in [delivered_at, delivered_at + 168h]
--   normalized:  delivered and not rolled back
-- Attributed to the author of the delivering deployment (email, any snapshot)
-- and to that author's team in the snapshot that applies on delivered_date.

with

deployments as (

    select * from {{ ref('int_deployments__deduplicated') }}

),

production as (

    select * from deployments
    where environment = 'production'

),

delivery_candidates as (

    select
        *,
        row_number() over (
            partition by change_id
            order by finished_at, deployment_id
        ) as delivery_rank
    from production
    where
        status = 'succeeded'
        and not is_rollback
        and finished_at is not null

),

deliveries as (

    select * from delivery_candidates
    where delivery_rank = 1

),

production_regions as (

    select
        change_id,
        cast(count(distinct region) as {{ dbt.type_bigint() }}) as production_regions
    from delivery_candidates
    group by change_id

),

rollbacks as (

    -- a rollback belongs to the change of the deployment it names
    select
        target_deployment.change_id,
        rollback_deployment.deployment_id as rollback_deployment_id,
        rollback_deployment.finished_at as rolled_back_at
    from production as rollback_deployment
    inner join production as target_deployment
        on rollback_deployment.rollback_of = target_deployment.deployment_id
    where
        rollback_deployment.status = 'succeeded'
        and rollback_deployment.finished_at is not null

),

rollbacks_in_window as (

    select
        deliveries.change_id,
        rollbacks.rollback_deployment_id,
        rollbacks.rolled_back_at,
        row_number() over (
            partition by deliveries.change_id
            order by rollbacks.rolled_back_at, rollbacks.rollback_deployment_id
        ) as rollback_rank
    from deliveries
    inner join rollbacks
        on deliveries.change_id = rollbacks.change_id
    where
        rollbacks.rolled_back_at >= deliveries.finished_at
        and rollbacks.rolled_back_at <= {{ dbt.dateadd('hour', 168, 'deliveries.finished_at') }}

),

first_rollbacks as (

    select * from rollbacks_in_window
    where rollback_rank = 1

),

identities as (

    select * from {{ ref('int_employees__email_identities') }}

),

snapshot_intervals as (

    select * from {{ ref('int_roster__snapshot_intervals') }}

),

history as (

    select * from {{ ref('int_employees__roster_history') }}

),

delivered as (

    select
        deliveries.change_id,
        deliveries.deployment_id as delivering_deployment_id,
        deliveries.author_email_normalized,
        deliveries.service,
        deliveries.finished_at as delivered_at,
        cast(deliveries.finished_at as date) as delivered_date,
        production_regions.production_regions,
        deliveries.is_ai_assisted,
        first_rollbacks.rolled_back_at is not null as is_rolled_back,
        first_rollbacks.rolled_back_at,
        first_rollbacks.rollback_deployment_id,
        first_rollbacks.rolled_back_at is null as is_normalized,
        deliveries.lines_added,
        deliveries.lines_deleted
    from deliveries
    inner join production_regions
        on deliveries.change_id = production_regions.change_id
    left join first_rollbacks
        on deliveries.change_id = first_rollbacks.change_id

)

select
    delivered.change_id,
    identities.employee_id,
    history.team_id,
    delivered.delivering_deployment_id,
    delivered.author_email_normalized,
    delivered.service,
    delivered.delivered_at,
    delivered.delivered_date,
    delivered.production_regions,
    delivered.is_ai_assisted,
    delivered.is_rolled_back,
    delivered.rolled_back_at,
    delivered.rollback_deployment_id,
    delivered.is_normalized,
    delivered.lines_added,
    delivered.lines_deleted
from delivered
left join identities
    on delivered.author_email_normalized = identities.email_normalized
left join snapshot_intervals
    on {{ is_valid_on('delivered.delivered_date', 'snapshot_intervals') }}
left join history
    on
        identities.employee_id = history.employee_id
        and snapshot_intervals.snapshot_date = history.snapshot_date
