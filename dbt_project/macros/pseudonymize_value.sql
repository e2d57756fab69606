{#
    Every occurrence of `value` in `text` replaced by `prefix` and the first
    16 hex digits of sha256(key || ':' || lower(trim(value))): the keyed
    pseudonym of pseudonymize_emails, for identities that are not addresses
    (a GitHub login, a LiteLLM user id). Unchanged when `value` is null or
    blank.
#}
{% macro pseudonymize_value(text, value, key, prefix) -%}
    {{ return(adapter.dispatch('pseudonymize_value', 'ai_impact_warehouse')(text, value, key, prefix)) }}
{%- endmacro %}

{% macro duckdb__pseudonymize_value(text, value, key, prefix) -%}
    case
        when nullif(trim({{ value }}), '') is null then {{ text }}
        else replace(
            {{ text }}, {{ value }},
            '{{ prefix }}' || left(sha256({{ key }} || ':' || lower(trim({{ value }}))), 16)
        )
    end
{%- endmacro %}

{% macro spark__pseudonymize_value(text, value, key, prefix) -%}
    case
        when nullif(trim({{ value }}), '') is null then {{ text }}
        else replace(
            {{ text }}, {{ value }},
            concat('{{ prefix }}', left(sha2(concat({{ key }}, ':', lower(trim({{ value }}))), 256), 16))
        )
    end
{%- endmacro %}
