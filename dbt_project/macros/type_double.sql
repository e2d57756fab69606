{#
    Double-precision float for money and ratios. dbt.type_float() renders
    FLOAT, which is single precision on DuckDB, so it is not used.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'ai_impact_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
