{#
    The keyed pseudonym of `value`: `prefix` and the first 16 hex digits of
    sha256(key || ':' || lower(trim(value))), so the same value (whatever its
    case) gets the same pseudonym under one key. The one statement of the
    rule: pseudonymize_emails and pseudonymize_value both render it.
#}
{% macro pseudonym(value, key, prefix) -%}
    {{ return(adapter.dispatch('pseudonym', 'ai_impact_warehouse')(value, key, prefix)) }}
{%- endmacro %}

{% macro default__pseudonym(value, key, prefix) -%}
    '{{ prefix }}' || left(sha256({{ key }} || ':' || lower(trim({{ value }}))), 16)
{%- endmacro %}

{% macro spark__pseudonym(value, key, prefix) -%}
    concat('{{ prefix }}', left(sha2(concat({{ key }}, ':', lower(trim({{ value }}))), 256), 16))
{%- endmacro %}

{#
    Every occurrence of `value` in `text` replaced by its keyed pseudonym:
    for identities that are not addresses (a GitHub login, a LiteLLM user
    id). Unchanged when `value` is null or blank. replace() is the same on
    every engine; only the pseudonym's hash is dispatched.
#}
{% macro pseudonymize_value(text, value, key, prefix) -%}
    case
        when nullif(trim({{ value }}), '') is null then {{ text }}
        else replace({{ text }}, {{ value }}, {{ pseudonym(value, key, prefix) }})
    end
{%- endmacro %}
