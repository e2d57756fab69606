-- Team names and orgs as of each snapshot, with the same validity intervals
-- as the employee history, so team-level tables can show the name a team had
-- at the time.

with

history as (

    select * from {{ ref('int_employees__roster_history') }}

)

select
    team_id,
    valid_from,
    max(valid_to) as valid_to,
    max(team_name) as team_name,
    max(org_name) as org_name
from history
where team_id is not null
group by team_id, valid_from
