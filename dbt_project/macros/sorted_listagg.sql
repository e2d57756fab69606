{#
    The values of a group joined into one string in ascending order. dbt's
    cross-database listagg ignores its order on Spark, so Spark sorts the
    collected array itself; like listagg, it gives null (not '') when the
    group has no non-null value.
#}
{% macro sorted_listagg(measure, delimiter_text) -%}
    {{ return(adapter.dispatch('sorted_listagg', 'ai_impact_warehouse')(measure, delimiter_text)) }}
{%- endmacro %}

{% macro default__sorted_listagg(measure, delimiter_text) -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ measure) }}
{%- endmacro %}

{% macro spark__sorted_listagg(measure, delimiter_text) -%}
    case
        when count({{ measure }}) > 0
            then array_join(array_sort(collect_list({{ measure }})), {{ delimiter_text }})
    end
{%- endmacro %}
