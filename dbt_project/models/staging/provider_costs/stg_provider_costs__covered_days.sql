-- The days each provider's report covers: a bucket starting on the day, in
-- any loaded page, with or without results.

select distinct
    provider,
    cast(bucket_starting_at as date) as cost_date

from {{ source('provider_costs', 'provider_cost_buckets') }}
