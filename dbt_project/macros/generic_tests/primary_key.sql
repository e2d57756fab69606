{#
    The listed columns are the model's primary key: no row has a null in any
    of them and no two rows share them. One query, so one dbt node, where a
    unique and a not_null test would be two.
#}
{% test primary_key(model, column_names) %}
    {{ key_violations(model, column_names, nulls_allowed=false) }}
{% endtest %}

{#
    The key check both tests run: groups of rows sharing the key columns
    (nulls compare equal, group by semantics), and with nulls_allowed=false
    any key holding a null.
#}
{% macro key_violations(model, columns, nulls_allowed) %}
    select
        {{ columns | join(', ') }},
        count(*) as key_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having
        count(*) > 1
        {%- if not nulls_allowed %}
            {%- for column in columns %}
        or {{ column }} is null
            {%- endfor %}
        {%- endif %}
{% endmacro %}
