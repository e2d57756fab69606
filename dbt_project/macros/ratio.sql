{#
    A ratio of two figures as metrics.md states them: "ratios with a zero
    denominator are null" (denominators are counts or sums, never negative);
    a double otherwise.
#}
{% macro ratio(numerator, denominator) -%}
    cast(
        case when {{ denominator }} > 0 then {{ numerator }} * 1.0 / {{ denominator }} end
        as {{ type_double() }}
    )
{%- endmacro %}
