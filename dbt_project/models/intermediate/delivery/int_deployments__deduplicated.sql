-- One row per deployment_id. Exports overlap and get re-delivered: the landing
-- contract's duplicate rule (macro winning_copies, shared with usage) keeps the
-- copy in the last file in path order, then the last line of that file, after
-- ignoring files that merely re-deliver earlier content.

with

deployments as (

    select * from {{ ref('stg_cd__deployments') }}

),

winners as (

    {{ winning_copies('deployments', 'deployment_id') }}

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
from winners
