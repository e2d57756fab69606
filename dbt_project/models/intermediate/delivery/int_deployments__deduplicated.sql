-- One row per deployment_id. Exports overlap and get re-delivered; the copy in
-- the last file in path order wins (then the last line of that file), after
-- ignoring files that merely re-deliver earlier content.

with

deployments as (

    select * from {{ ref('stg_cd__deployments') }}

),

redelivered_files as (

    select source_file from {{ ref('int_landing__redelivered_files') }}

),

first_deliveries as (

    select deployments.*
    from deployments
    left join redelivered_files
        on deployments.source_file = redelivered_files.source_file
    where redelivered_files.source_file is null

),

ranked_copies as (

    select
        *,
        row_number() over (
            partition by deployment_id
            order by source_file desc, line_number desc
        ) as copy_rank
    from first_deliveries

)

select
    deployment_id,
    change_id,
    commit_sha,
    service,
    environment,
    region,
    attempt,
    author_email_normalized,
    started_at,
    finished_at,
    status,
    rollback_of,
    rollback_of is not null as is_rollback,
    lines_added,
    lines_deleted,
    is_ai_assisted,
    landing_date,
    source_file,
    line_number
from ranked_copies
where copy_rank = 1
