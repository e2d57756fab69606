{#
    One row per request_id: its winning copy over every first-delivered raw
    row (macro winning_copies, the rule stated once). A view read by
    the request_ids_counted_once check; int_usage__daily_by_email applies the
    same macro to the copies of the request_ids it rebuilds, since a view
    filtered on request_id would still rank the whole history.
#}
{{ config(materialized='view') }}

with

requests as (

    select * from {{ ref('stg_gateway__usage_requests') }}

),

winners as (

    {{ winning_copies('requests', 'request_id') }}

)

-- every staging column passes through, so a column added to the staging
-- model reaches the readers without touching the rule
select * from winners  -- noqa: AM04
