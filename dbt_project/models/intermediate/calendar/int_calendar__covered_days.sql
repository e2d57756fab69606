-- Covered days run from the first roster snapshot date to the last usage_date
-- in the data (metrics.md, Cost). Cost, signals and weekly figures are
-- computed for exactly these days.

with

first_snapshot as (

    select min(snapshot_date) as first_day
    from {{ ref('stg_hris__roster_snapshots') }}

),

last_usage as (

    select max(usage_date) as last_day
    from {{ ref('int_usage__daily_by_identity') }}

),

bounds as (

    select
        first_snapshot.first_day,
        last_usage.last_day
    from first_snapshot
    cross join last_usage

),

days as (

    {{ date_series('bounds', 'first_day', 'last_day') }}

)

select
    date_day,
    {{ week_start('date_day') }} as week_start,
    {{ add_days(6, week_start('date_day')) }} as week_end,
    {{ month_start('date_day') }} as month_start,
    cast({{ days_in_month('date_day') }} as {{ dbt.type_int() }}) as days_in_month
from days
