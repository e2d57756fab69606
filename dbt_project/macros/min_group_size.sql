{#
    A group of fewer people than var('aiw_min_group_size') (default 5) is too
    small to show its figures (metrics.md, privacy): one threshold for every
    model that suppresses.
#}
{% macro is_below_min_group_size(people_expression) -%}
    ({{ people_expression }} < {{ var('aiw_min_group_size', 5) }})
{%- endmacro %}

{# A figure of a group as shown: null when the group is suppressed. #}
{% macro unless_suppressed(expression, suppressed='is_suppressed') -%}
    case when not {{ suppressed }} then {{ expression }} end
{%- endmacro %}
