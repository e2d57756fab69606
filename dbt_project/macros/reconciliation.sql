{#
    The warehouse's estimate held against the provider's invoice (metrics.md,
    Provider bills), one rule for a day, a month and the headline:
    difference_usd = invoiced − estimated (invoiced as a double);
    relative difference = difference / invoiced, null when nothing or 0 is
    invoiced; within tolerance when |relative difference| ≤
    var('aiw_reconciliation_tolerance'), a cell invoiced at 0 only when the
    estimate is 0 too, null when nothing is invoiced (nothing to reconcile).
#}
{% macro reconciliation_difference(estimated, invoiced) -%}
    cast({{ invoiced }} as {{ type_double() }}) - {{ estimated }}
{%- endmacro %}

{% macro reconciliation_relative_difference(difference, invoiced) -%}
    case
        when {{ invoiced }} <> 0
            then {{ difference }} / cast({{ invoiced }} as {{ type_double() }})
    end
{%- endmacro %}

{% macro within_reconciliation_tolerance(difference, estimated, invoiced) -%}
    case
        when {{ invoiced }} is null then null
        when {{ invoiced }} = 0 then {{ estimated }} = 0
        else
            abs({{ difference }} / cast({{ invoiced }} as {{ type_double() }}))
            <= {{ var('aiw_reconciliation_tolerance') }}
    end
{%- endmacro %}
