-- One row per roster snapshot date with the days it applies to: from its date
-- until the next snapshot date (exclusive; null = still applies). Tiny, so
-- facts resolve their applicable snapshot by a range join on their distinct
-- dates only, then equi-join the (large) employee history on snapshot_date.

with

snapshot_dates as (

    select distinct snapshot_date
    from {{ ref('stg_hris__roster_snapshots') }}

)

select
    snapshot_date,
    snapshot_date as valid_from,
    lead(snapshot_date) over (order by snapshot_date) as valid_to
from snapshot_dates
