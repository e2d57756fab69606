{#
    The listed columns form a unique key. Nulls compare equal (group by
    semantics), so the unattributed row (null employee_id) is checked too.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ key_violations(model, combination_of_columns, nulls_allowed=true) }}
{% endtest %}
