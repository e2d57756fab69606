{#
    One row per source × request_id: its winning copy over every
    first-delivered raw row (macro winning_copies, the rule stated
    once). A view read by the request_ids_counted_once check;
    int_usage__daily_by_identity applies the same macro to the copies of the
    requests it rebuilds, since a view filtered on request_id would still rank
    the whole history.
#}
{{ config(materialized='view') }}

with

requests as (

    select * from {{ ref('int_usage__requests') }}

),

winners as (

    {{ winning_copies('requests', ['source', 'request_id'], ['source_file', 'line_number', 'record_index']) }}

)

-- every canonical column passes through, so a column added to the canonical
-- request reaches the readers without touching the rule
select * from winners  -- noqa: AM04
