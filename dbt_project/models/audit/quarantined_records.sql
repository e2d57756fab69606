-- Grain: one row per rejected line, or per rejected whole file (line_number
-- null). Straight from the extraction's rejects table.

with

quarantined as (

    select * from {{ ref('stg_landing__quarantined_records') }}

)

select
    source,
    source_file,
    line_number,
    reason,
    raw_text,
    landing_date,
    detail,
    line_number is null as is_whole_file
from quarantined
