-- Files whose decompressed content equals that of a file earlier in path order.
-- Their rows stay in raw (so lines read = loaded + quarantined holds per file)
-- but every int_* model ignores them; deciding it here, from the content hash
-- and the path, keeps results independent of the order partitions were loaded.

with

files as (

    select distinct
        source,
        source_file,
        content_sha256
    from {{ ref('stg_landing__files') }}
    -- roster snapshots are dated by their file name: an unchanged roster on a
    -- later day is a new snapshot, not a re-delivery, so it must keep applying;
    -- reference files are replaced whole. Every partitioned event source
    -- (usage, deploys and the real sources: otel, litellm, copilot) counts.
    where
        source not in ('roster', 'reference')
        and content_sha256 is not null

),

ranked as (

    select
        source,
        source_file,
        content_sha256,
        first_value(source_file) over (
            partition by content_sha256
            order by source_file
            rows between unbounded preceding and current row
        ) as original_source_file,
        row_number() over (
            partition by content_sha256
            order by source_file
        ) as delivery_number
    from files

)

select
    source,
    source_file,
    content_sha256,
    original_source_file,
    delivery_number
from ranked
where delivery_number > 1
