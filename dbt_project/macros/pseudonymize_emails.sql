{#
    Every email address in `text` replaced by its keyed pseudonym (macro
    pseudonym, prefix `email_`), so rejected lines of one person can still
    be grouped; without the key (kept in the WORK database, never
    published) a pseudonym cannot be checked against a guessed address. An
    "address" is any run of non-delimiter characters around an @, generous
    on purpose: over-redacting costs nothing, a missed address leaks one.
#}
{% macro pseudonymize_emails(text, key) -%}
    {{ return(adapter.dispatch('pseudonymize_emails', 'ai_impact_warehouse')(text, key)) }}
{%- endmacro %}

{% macro email_pattern() -%}
    {{ return(adapter.dispatch('email_pattern', 'ai_impact_warehouse')()) }}
{%- endmacro %}

{% macro default__email_pattern() -%}
    '[^\s"'',;:<>()\[\]{}@]+@[^\s"'',;:<>()\[\]{}@]+'
{%- endmacro %}

{# the same pattern in a Spark literal, where a backslash escapes and \' is a quote #}
{% macro spark__email_pattern() -%}
    '[^\\s"\',;:<>()\\[\\]{}@]+@[^\\s"\',;:<>()\\[\\]{}@]+'
{%- endmacro %}

{# split around the addresses, then zip each gap with the address after it #}
{% macro duckdb__pseudonymize_emails(text, key) -%}
    case when {{ text }} is not null then
        array_to_string(
            list_transform(
                list_zip(
                    regexp_split_to_array({{ text }}, {{ email_pattern() }}),
                    regexp_extract_all({{ text }}, {{ email_pattern() }})
                ),
                lambda part: part[1] || coalesce({{ pseudonym('part[2]', key, 'email_') }}, '')
            ),
            ''
        )
    end
{%- endmacro %}

{% macro spark__pseudonymize_emails(text, key) -%}
    case when {{ text }} is not null then
        array_join(
            transform(
                arrays_zip(
                    split({{ text }}, {{ email_pattern() }}),
                    regexp_extract_all({{ text }}, {{ email_pattern() }}, 0)
                ),
                part -> concat(part['0'], coalesce({{ pseudonym("part['1']", key, 'email_') }}, ''))
            ),
            ''
        )
    end
{%- endmacro %}
