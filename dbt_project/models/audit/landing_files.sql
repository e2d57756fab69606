-- Grain: one row per landing file seen, with its line accounting and whether
-- dbt ignores it as a re-delivery of earlier content.

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
    files.rows_quarantined,
    files.file_status,
    redelivered.source_file is not null as is_redelivery,
    redelivered.original_source_file
from files
left join redelivered
    on files.source_file = redelivered.source_file
