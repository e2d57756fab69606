-- What each provider's cost report invoices per UTC day and model.
--   re-delivery: a page delivered again with corrected amounts replaces the
--                earlier copy, per bucket × result key (last file in path
--                order wins, then the last result of that file)
--   invoiced:    Σ amount / 100 of the token results (cost_type = tokens);
--                web search, code execution etc. are never mixed in
-- Amounts stay DECIMAL, so the sum is exact whatever the number of rows.

with

results as (

    select * from {{ ref('stg_provider_costs__cost_results') }}

),

ranked_copies as (

    select
        *,
        row_number() over (
            partition by
                provider, bucket_starting_at, workspace_id, description, cost_type,
                context_window, model, service_tier, token_type, inference_geo
            order by source_file desc, result_ordinal desc
        ) as copy_rank
    from results

),

token_costs as (

    select * from ranked_copies
    where copy_rank = 1 and cost_type = 'tokens'

)

select
    cost_date,
    provider,
    model,
    sum(amount_usd) as invoiced_cost_usd,
    cast(count(*) as {{ dbt.type_bigint() }}) as invoice_results
from token_costs
group by cost_date, provider, model
