{#
    How the weekly and whole-period figures add up from int_figures__daily
    rows, one definition for the developer's week, the team's week and the
    organisation's period (each groups by its own grain). A figure stays null
    when none of the rows has it.
#}
{% macro sum_figures() -%}
    sum(total_tokens) as total_tokens,
    sum(delivered_changes) as delivered_changes,
    sum(normalized_deployments) as normalized_deployments,
    sum(ai_assisted_normalized_deployments) as ai_assisted_normalized_deployments,
    {{ sum_double('billed_cost_usd') }} as billed_cost_usd,
    {{ sum_double('per_token_cost_usd') }} as per_token_cost_usd,
    {{ sum_double('flat_rate_cost_usd') }} as flat_rate_cost_usd
{%- endmacro %}
