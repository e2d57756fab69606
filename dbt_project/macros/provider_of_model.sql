{#
    The provider that bills a model, from its name: the price book names
    models, not vendors, and cost reports are per vendor. Unknown names get
    'other' (never reconciled, since no report can cover them).
#}
{% macro provider_of_model(model) -%}
    case
        when {{ model }} like 'claude%' then 'anthropic'
        when {{ model }} like 'gpt-%' or {{ model }} like 'o1%' or {{ model }} like 'o3%'
            or {{ model }} like 'o4%' then 'openai'
        when {{ model }} like 'gemini%' then 'google'
        else 'other'
    end
{%- endmacro %}

{#
    An amount in cents (a DECIMAL) as dollars, exactly: multiplying by a
    DECIMAL 0.01 stays DECIMAL on every engine, where dividing by 100 turns
    into a float on DuckDB.
#}
{% macro cents_to_dollars(cents) -%}
    ({{ cents }} * cast(0.01 as decimal(3, 2)))
{%- endmacro %}
