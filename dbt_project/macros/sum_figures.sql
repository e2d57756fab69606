{#
    How the figures of int_figures__daily rows add up: one definition for
    the developer's week, the team's week and the organisation's period. A
    figure stays null when none of the rows has it.
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

{#
    The weekly figures of `figures` (int_figures__daily) by `grain`, the
    employee or the team of the event's day: week_start × grain, rows without
    that grain left out. int_developers__weekly and team_weekly_metrics roll
    up the same rows, each by its own grain.
#}
{% macro weekly_figures(figures, grain) -%}
    select
        week_start,
        {{ grain }},
        {{ sum_figures() }}
    from {{ figures }}
    where {{ grain }} is not null
    group by week_start, {{ grain }}
{%- endmacro %}
