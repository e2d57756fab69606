{#
    The columns of daily usage, named once for the model that aggregates the
    requests (int_usage__daily_by_identity) and the one that prices them
    (int_usage__daily_priced).
#}

{# the canonical request's token counts (sources.md): what a request bills #}
{% macro usage_token_columns() -%}
    {{ return(['input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_write_1h_tokens', 'cache_read_tokens']) }}
{%- endmacro %}

{#
    The token types a daily row is priced by (landing_contract.md, price
    book), in price-book order: the price-book token_type, the flag of a row
    whose requests used it and the billable tokens it prices. Cache writes are
    priced as 5-minute writes (cache_write: the writes that are not 1-hour
    writes) and 1-hour writes (cache_write_1h), never one at the other's rate.
#}
{% macro priced_token_types() -%}
    {{ return([
        {'token_type': 'input', 'flag': 'has_input_tokens', 'tokens': 'input_tokens'},
        {'token_type': 'output', 'flag': 'has_output_tokens', 'tokens': 'output_tokens'},
        {'token_type': 'cache_write', 'flag': 'has_cache_write_5m_tokens',
         'tokens': 'cache_write_tokens', 'less': 'cache_write_1h_tokens'},
        {'token_type': 'cache_write_1h', 'flag': 'has_cache_write_1h_tokens', 'tokens': 'cache_write_1h_tokens'},
        {'token_type': 'cache_read', 'flag': 'has_cache_read_tokens', 'tokens': 'cache_read_tokens'},
    ]) }}
{%- endmacro %}

{# the billable tokens of one priced token type, columns of `relation` when given #}
{% macro priced_tokens(priced_type, relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix ~ priced_type.tokens }}
    {%- if priced_type.less %} - {{ prefix ~ priced_type.less }}{% endif %}
{%- endmacro %}

{#
    The grain of int_usage__daily_by_identity: a day's usage of one identity,
    model, client and tier, split by the token types its requests used (the
    has_* flags keep pricing exact per request: requests sharing them are
    priced or unpriced together).
#}
{% macro usage_daily_dimensions() -%}
    {{ return(['usage_date', 'source', 'identity_type', 'identity_value', 'model', 'client', 'service_tier']) }}
{%- endmacro %}

{% macro usage_daily_grain() -%}
    {%- set flags = ['has_cache_write_tokens'] -%}
    {%- for priced_type in priced_token_types() -%}
        {%- do flags.append(priced_type.flag) -%}
    {%- endfor -%}
    {{ return(usage_daily_dimensions() + flags) }}
{%- endmacro %}
