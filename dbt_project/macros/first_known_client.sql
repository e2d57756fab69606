{#
    The first element of a JSON array of strings (LiteLLM's request_tags, as
    delivered) that is one of `clients`, keeping the array's order; null when
    none is, or when the text is null. JSON parsing and list lambdas differ by
    engine, hence the dispatch.
#}
{% macro first_known_client(tags_json, clients) -%}
    {{ return(adapter.dispatch('first_known_client', 'ai_impact_warehouse')(tags_json, clients)) }}
{%- endmacro %}

{% macro default__first_known_client(tags_json, clients) -%}
    list_filter(
        from_json({{ tags_json }}, '["VARCHAR"]'),
        lambda tag: tag in ({% for client in clients %}'{{ client }}'{% if not loop.last %}, {% endif %}{% endfor %})
    )[1]
{%- endmacro %}

{% macro spark__first_known_client(tags_json, clients) -%}
    try_element_at(
        filter(
            from_json({{ tags_json }}, 'array<string>'),
            tag -> tag in ({% for client in clients %}'{{ client }}'{% if not loop.last %}, {% endif %}{% endfor %})
        ),
        1
    )
{%- endmacro %}
