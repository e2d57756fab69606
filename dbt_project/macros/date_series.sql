{#
    One row per calendar day (column date_day) from start_column to end_column,
    both inclusive, read from the single-row relation or CTE named by bounds.
    No rows when either bound is null.
#}
{% macro date_series(bounds, start_column, end_column) -%}
    {{ return(adapter.dispatch('date_series', 'ai_impact_warehouse')(bounds, start_column, end_column)) }}
{%- endmacro %}

{% macro duckdb__date_series(bounds, start_column, end_column) -%}
    select cast(series.generate_series as date) as date_day
    from {{ bounds }}
    cross join lateral generate_series(
        cast({{ bounds }}.{{ start_column }} as timestamp),
        cast({{ bounds }}.{{ end_column }} as timestamp),
        interval 1 day
    ) as series
{%- endmacro %}

{# sequence() of dates, one row per element; a null bound gives a null array, so no rows #}
{% macro spark__date_series(bounds, start_column, end_column) -%}
    select explode(sequence(
        cast({{ bounds }}.{{ start_column }} as date),
        cast({{ bounds }}.{{ end_column }} as date),
        interval 1 day
    )) as date_day
    from {{ bounds }}
{%- endmacro %}

{#
    Portable fallback: a numbers table of 0..99,999 days (about 270 years)
    built from digits, so it needs neither recursive CTEs nor table functions.
#}
{% macro default__date_series(bounds, start_column, end_column) -%}
    with digits as (
        select 0 as d union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6 union all select 7
        union all select 8 union all select 9
    ),

    day_offsets as (
        select
            d1.d + 10 * d2.d + 100 * d3.d + 1000 * d4.d + 10000 * d5.d as day_offset
        from digits as d1
        cross join digits as d2
        cross join digits as d3
        cross join digits as d4
        cross join digits as d5
    )

    select
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'series_bounds.' ~ start_column) }} as date)
            as date_day
    from {{ bounds }} as series_bounds
    cross join day_offsets
    where
        day_offsets.day_offset
        <= {{ dbt.datediff('series_bounds.' ~ start_column, 'series_bounds.' ~ end_column, 'day') }}
{%- endmacro %}
