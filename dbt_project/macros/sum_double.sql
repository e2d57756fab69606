{#
    Sum of DOUBLE money amounts. On DuckDB a compensated sum (fsum): more
    accurate, and practically independent of the order parallel threads add
    rows in, so rebuilding the same data gives the same bits.
#}
{% macro sum_double(expression) -%}
    {{ return(adapter.dispatch('sum_double', 'ai_impact_warehouse')(expression)) }}
{%- endmacro %}

{% macro duckdb__sum_double(expression) -%}
    fsum({{ expression }})
{%- endmacro %}

{% macro default__sum_double(expression) -%}
    sum({{ expression }})
{%- endmacro %}
