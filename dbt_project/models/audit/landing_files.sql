-- Grain: one row per file below the landing root: its line accounting and
-- whether dbt ignores it as a re-delivery of earlier content, or, for a file no
-- run reads (file_status 'ignored'), why.

with

files as (

    select * from {{ ref('stg_landing__files') }}

),

redelivered as (

    select * from {{ ref('int_landing__redelivered_files') }}

)

select
    files.source,
    files.source_file,
    files.landing_date,
    files.content_sha256,
    files.lines_read,
    files.rows_loaded,
    files.rows_skipped,
    files.rows_quarantined,
    files.file_status,
    files.file_status_reason,
    redelivered.source_file is not null as is_redelivery,
    redelivered.original_source_file
from files
left join redelivered
    on files.source_file = redelivered.source_file
