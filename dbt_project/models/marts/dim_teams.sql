-- Grain: team_id. Current name and org of every team ever in the roster
-- (from the latest snapshot the team appears in).

with

team_history as (

    select * from {{ ref('int_teams__roster_history') }}

),

ranked as (

    select
        *,
        row_number() over (partition by team_id order by valid_from desc) as recency_rank,
        min(valid_from) over (partition by team_id) as first_snapshot_date,
        max(valid_from) over (partition by team_id) as last_snapshot_date
    from team_history

)

select
    team_id,
    team_name,
    org_name,
    first_snapshot_date,
    last_snapshot_date
from ranked
where recency_rank = 1
