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

{#
    The roster snapshot that applies on the Sunday of each week of `weeks` (a
    relation with week_start): "developers of a team in week W" are taken from
    it (metrics.md). Weeks before the first snapshot get no row. One definition
    for every model that counts developers per week.
#}
{% macro week_sunday_snapshots(weeks, snapshot_intervals) -%}
    select
        {{ weeks }}.week_start,
        {{ snapshot_intervals }}.snapshot_date
    from {{ weeks }}
    inner join {{ snapshot_intervals }}
        on {{ is_valid_on(add_days(6, weeks ~ '.week_start'), snapshot_intervals) }}
{%- endmacro %}

{#
    A week's figures are provisional while the last covered day is earlier
    than 7 days after its Sunday: a rollback (168 h after delivery) can still
    arrive (metrics.md, Normalized deployments).
#}
{% macro is_provisional_week(week_start_expression, last_covered_day_expression) -%}
    ({{ last_covered_day_expression }} < {{ add_days(13, week_start_expression) }})
{%- endmacro %}
