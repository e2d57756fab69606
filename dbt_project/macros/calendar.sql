{# ISO week start (Monday) of a date, as a date. #}
{% macro week_start(date_expression) -%}
    cast({{ dbt.date_trunc('week', date_expression) }} as date)
{%- endmacro %}

{# First day of the month of a date, as a date. #}
{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{# Number of days in the month of a date (28..31). #}
{% macro days_in_month(date_expression) -%}
    {{ dbt.datediff(
        month_start(date_expression),
        dbt.dateadd('month', 1, month_start(date_expression)),
        'day'
    ) }}
{%- endmacro %}

{# Number of days in the year of a date (365 or 366). #}
{% macro days_in_year(date_expression) -%}
    {{ dbt.datediff(
        'cast(' ~ dbt.date_trunc('year', date_expression) ~ ' as date)',
        dbt.dateadd('year', 1, 'cast(' ~ dbt.date_trunc('year', date_expression) ~ ' as date)'),
        'day'
    ) }}
{%- endmacro %}

{# A date shifted by a whole number of days, as a date. #}
{% macro add_days(days, date_expression) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}
