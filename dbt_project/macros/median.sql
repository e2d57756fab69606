{#
    Median with the even-count rule of metrics.md: the mean of the two middle
    values (continuous percentile), returned as a double.
#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'ai_impact_warehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    cast(quantile_cont({{ expression }}, 0.5) as {{ type_double() }})
{%- endmacro %}

{% macro default__median(expression) -%}
    cast(percentile_cont(0.5) within group (order by {{ expression }}) as {{ type_double() }})
{%- endmacro %}

{# percentile() interpolates between the two middle values, exactly as quantile_cont #}
{% macro spark__median(expression) -%}
    cast(percentile({{ expression }}, 0.5) as {{ type_double() }})
{%- endmacro %}
