{#
    Schemas are used verbatim (staging, intermediate, marts, restricted, audit):
    BI tools and the publish step address them by these exact names, so the
    dbt default of prefixing the target schema is switched off.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
