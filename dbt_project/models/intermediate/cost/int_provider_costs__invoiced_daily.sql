-- What each provider's cost report invoices per UTC day and model.
--   re-delivery: a page delivered again with corrected amounts replaces the
--                earlier copy, per bucket × result key (the duplicate rule
--                of every export, macro winning_copies: last file in path
--                order wins, then the last result of that file; the pages
--                are reference files, which int_landing__redelivered_files
--                never lists)
--   invoiced:    Σ amount / 100 of the token results (cost_type = tokens);
--                web search, code execution etc. are never mixed in
-- Amounts stay DECIMAL, so the sum is exact whatever the number of rows.

with

results as (

    select * from {{ ref('stg_provider_costs__cost_results') }}

),

winning_results as (

    {{ winning_copies(
        'results',
        [
            'provider', 'bucket_starting_at', 'workspace_id', 'description', 'cost_type',
            'context_window', 'model', 'service_tier', 'token_type', 'inference_geo'
        ],
        ['source_file', 'result_ordinal'],
        skip_redelivered=false
    ) }}

),

token_costs as (

    select * from winning_results
    where cost_type = 'tokens'

)

select
    cost_date,
    provider,
    model,
    sum(amount_usd) as invoiced_cost_usd,
    cast(count(*) as {{ dbt.type_bigint() }}) as invoice_results
from token_costs
group by cost_date, provider, model
