{#
    Contracts declare `varchar` (DuckDB's name); Spark names it `string` and
    refuses a varchar without a length. dbt checks a contract by casting
    nulls to the declared types, so on Spark those casts name Spark's type.
#}
{% macro spark_type(data_type) -%}
    {%- set lowered = data_type | trim | lower -%}
    {{- 'string' if lowered in ('varchar', 'text') else data_type -}}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set spark_columns = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name].copy() -%}
        {%- if column.get('data_type') is not none -%}
            {%- do column.update({'data_type': spark_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: column}) -%}
    {%- endfor -%}
    {{ return(default__get_empty_schema_sql(spark_columns)) }}
{%- endmacro %}
