{#
    Every request source as the canonical request (sources.md): the gateway
    log, Claude Code telemetry and LiteLLM spend logs, each renamed by its
    staging model, with the `source` it came from. One row per raw row
    (duplicates still present). A view: the incremental usage model filters
    it on requested_at, and the filter reaches each source's raw table.
    Attribution, pricing, marts and signals read usage only through it.
#}
{{ config(materialized='view') }}

{%- set columns = [
    'request_id', 'requested_at', 'usage_date', 'identity_type', 'identity_value',
    'client', 'agent_id', 'session_id', 'model', 'service_tier', 'status',
    'input_tokens', 'output_tokens', 'cache_write_tokens', 'cache_write_1h_tokens',
    'cache_read_tokens', 'reported_cost_usd', 'landing_date', 'source_file',
    'line_number', 'record_index'
] %}
{%- set sources = [
    ('gateway', 'stg_gateway__usage_requests'),
    ('claude_code', 'stg_claude_code__api_requests'),
    ('litellm', 'stg_litellm__spend_logs'),
] %}

{% for source_name, model in sources %}
    select
        '{{ source_name }}' as source,  -- noqa: RF04
        {{ columns | join(',\n        ') }}
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
