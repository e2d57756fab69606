{#
    The listed columns form a unique key. Nulls compare equal (group by
    semantics), so the unattributed row (null employee_id) is checked too.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicate_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
