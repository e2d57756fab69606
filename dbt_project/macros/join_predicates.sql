{#
    True when day_expression falls in the half-open validity interval
    [valid_from, valid_to) of relation_alias; a null valid_to is open-ended.
    Used for roster snapshots, price rows and contracts alike.
#}
{% macro is_valid_on(day_expression, relation_alias, valid_from='valid_from', valid_to='valid_to') -%}
    ({{ day_expression }} >= {{ relation_alias }}.{{ valid_from }}
    and ({{ relation_alias }}.{{ valid_to }} is null or {{ day_expression }} < {{ relation_alias }}.{{ valid_to }}))
{%- endmacro %}

{#
    Null-safe equality for join keys that can be null (the unattributed
    employee, a missing org). dbt.equals is not null-safe unless a behaviour
    flag is set. IS NOT DISTINCT FROM keeps the join a hash join (an OR of
    "both null" would force a nested-loop join on DuckDB).
#}
{% macro null_safe_equals(left_expression, right_expression) -%}
    {{ return(adapter.dispatch('null_safe_equals', 'ai_impact_warehouse')(left_expression, right_expression)) }}
{%- endmacro %}

{% macro default__null_safe_equals(left_expression, right_expression) -%}
    ({{ left_expression }} is not distinct from {{ right_expression }})
{%- endmacro %}

{% macro spark__null_safe_equals(left_expression, right_expression) -%}
    ({{ left_expression }} <=> {{ right_expression }})
{%- endmacro %}
