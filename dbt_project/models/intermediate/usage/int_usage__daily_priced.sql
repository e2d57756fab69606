-- Daily usage attributed and priced. Rebuilt in full on every run from the
-- small daily grain, so a roster or price-book correction re-attributes and
-- re-prices all history.
--   attribution: the identity in force on usage_date -> employee, and the
--                team from the snapshot that applies on usage_date
--                (int_identities__daily_resolution)
--   list cost:   Σ tokens × usd_per_mtok / 1e6 over the token types of macro
--                priced_token_types, with the prices in force on
--                usage_date, × 0.5 for the batch tier; null (unpriced) when a
--                token type with a non-zero count has no price that day.
--                Cache writes are 5-minute (cache_write) and 1-hour
--                (cache_write_1h) writes: a 1-hour write with no 1-hour price
--                is unpriced, never priced at the 5-minute rate
--   provenance:  price_book_version identifies the price rows applied to the
--                model on that day, so a re-priced day shows a new version

{#-
    Per token type (macro priced_token_types): the row is unpriced when the
    type has tokens but no price in force that day; its cost is tokens ×
    price, and a type with no tokens adds nothing, priced or not.
#}
{%- set priced_types = priced_token_types() %}
{%- set unpriced_types = [] %}
{%- set type_costs = [] %}
{%- for priced_type in priced_types %}
    {%- set price = 'daily_prices.' ~ priced_type.token_type ~ '_usd_per_mtok' %}
    {%- set has_tokens = 'attributed.' ~ priced_type.flag %}
    {%- do unpriced_types.append('(' ~ has_tokens ~ ' and ' ~ price ~ ' is null)') %}
    {%- do type_costs.append(
        'case when ' ~ has_tokens ~ ' then (' ~ priced_tokens(priced_type, 'attributed') ~ ') * '
        ~ price ~ ' else 0 end'
    ) %}
{%- endfor %}
{%- set is_unpriced = 'coalesce(' ~ unpriced_types | join('\n or ') ~ ', false)' %}

with

daily_usage as (

    select
        {{ usage_daily_dimensions() | join(',\n        ') }},
        has_input_tokens,
        has_output_tokens,
        has_cache_write_tokens,
        has_cache_read_tokens,
        requests,
        success_requests,
        error_requests,
        agent_requests,
        input_tokens,
        output_tokens,
        cache_write_tokens,
        cache_read_tokens,
        total_tokens,
        -- rows built before the 1-hour split existed carry null split
        -- columns: they held 5-minute writes only
        coalesce(has_cache_write_5m_tokens, has_cache_write_tokens) as has_cache_write_5m_tokens,
        coalesce(has_cache_write_1h_tokens, false) as has_cache_write_1h_tokens,
        coalesce(cache_write_1h_tokens, 0) as cache_write_1h_tokens,
        reported_cost_usd
    from {{ ref('int_usage__daily_by_identity') }}

),

identities as (

    select * from {{ ref('int_identities__daily_resolution') }}

),

prices as (

    select * from {{ ref('stg_reference__prices') }}

),

model_days as (

    select distinct
        usage_date,
        model
    from daily_usage

),

prices_in_force as (

    -- overlapping price rows would be a price-book error; the latest
    -- effective_from wins so each token type has at most one price per day
    select
        model_days.usage_date,
        model_days.model,
        prices.token_type,
        prices.usd_per_mtok,
        prices.effective_from,
        row_number() over (
            partition by model_days.usage_date, model_days.model, prices.token_type
            order by prices.effective_from desc
        ) as price_rank
    from model_days
    inner join prices
        on
            model_days.model = prices.model
            and {{ is_valid_on('model_days.usage_date', 'prices', 'effective_from', 'effective_to') }}

),

daily_prices as (

    select
        usage_date,
        model,
        {% for priced_type in priced_types %}
            max(case when token_type = '{{ priced_type.token_type }}' then usd_per_mtok end)
                as {{ priced_type.token_type }}_usd_per_mtok,
        {% endfor %}
        max(effective_from) as prices_effective_from,
        -- the rows applied, as text: any correction to one of them (price or
        -- dates) gives the day a new version
        {{ dbt.hash(dbt.listagg(
            "token_type || '=' || cast(usd_per_mtok as " ~ dbt.type_string() ~ ") || '@' || cast(effective_from as " ~ dbt.type_string() ~ ")",
            "';'",
            "order by token_type"
        )) }} as price_book_version
    from prices_in_force
    where price_rank = 1
    group by usage_date, model

),

attributed as (

    select
        daily_usage.*,
        identities.employee_id,
        identities.team_id,
        identities.employee_id is not null as is_attributed
    from daily_usage
    left join identities
        on
            daily_usage.usage_date = identities.activity_date
            and {{ null_safe_equals('daily_usage.identity_type', 'identities.identity_type') }}
            and {{ null_safe_equals('daily_usage.identity_value', 'identities.identity_value') }}

),

priced as (

    select
        attributed.*,
        daily_prices.prices_effective_from,
        daily_prices.price_book_version,
        {{ is_unpriced }} as is_unpriced,
        case
            when not {{ is_unpriced }}
                then cast(
                    ({{ type_costs | join('\n + ') }}) / 1000000.0
                    * case when attributed.service_tier = 'batch' then 0.5 else 1.0 end
                    as {{ type_double() }}
                )
        end as list_cost_usd
    from attributed
    left join daily_prices
        on
            attributed.usage_date = daily_prices.usage_date
            and attributed.model = daily_prices.model

)

select * from priced
