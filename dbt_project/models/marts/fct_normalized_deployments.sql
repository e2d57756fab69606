-- Grain: change_id, delivered changes only (rolled-back ones included, with
-- is_normalized = false). The rules live in int_changes__delivered.

with

changes as (

    select * from {{ ref('int_changes__delivered') }}

)

select
    change_id,
    employee_id,
    team_id,
    service,
    delivered_at,
    delivered_date,
    production_regions,
    is_ai_assisted,
    is_rolled_back,
    rolled_back_at,
    is_normalized,
    lines_added,
    lines_deleted,
    delivering_deployment_id,
    rollback_deployment_id,
    employee_id is not null as is_attributed
from changes
