{#
    The listed columns are the model's primary key: no row has a null in any
    of them and no two rows share them. One query, so one dbt node, where a
    unique and a not_null test would be two.
#}
{% test primary_key(model, column_names) %}
    select
        {{ column_names | join(', ') }},
        count(*) as key_rows
    from {{ model }}
    group by {{ column_names | join(', ') }}
    having
        count(*) > 1
        {%- for column in column_names %}
        or {{ column }} is null
        {%- endfor %}
{% endtest %}
