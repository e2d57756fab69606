{#
    The incremental usage model rebuilds exactly the usage days queued in
    raw.usage_days_to_rebuild (extraction queues the request days of every
    row a partition load removes or adds). These macros read the queue when
    the model runs, so the work follows the distinct days touched, never the
    span between the oldest and the newest, and no --vars are needed (a new
    var value would make dbt re-parse the whole project).
#}

{#
    A predicate on requested_at selecting the queued days, as half-open
    timestamp ranges (consecutive days merged into one range). Ranges on the
    raw column let the engine skip storage blocks by their min/max; a join
    on the cast date would read every request of history. Renders `false`
    when nothing is queued, and while dbt parses (no database then).
#}
{% macro requested_on_days_to_rebuild(queue) -%}
    {%- set ranges = [] -%}
    {%- if execute -%}
        {%- set days = run_query(
            'select distinct usage_date from ' ~ queue
            ~ ' where usage_date is not null order by usage_date'
        ).columns[0].values() -%}
        {%- set one_day = modules.datetime.timedelta(days=1) -%}
        {%- for day in days -%}
            {%- if ranges and ranges[-1][1] == day -%}
                {%- set last = ranges.pop() -%}
                {%- do ranges.append([last[0], day + one_day]) -%}
            {%- else -%}
                {%- do ranges.append([day, day + one_day]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if ranges -%}
        ({% for start, end in ranges %}{% if not loop.first %} or {% endif -%}
            (requested_at >= cast('{{ start }}' as timestamp) and requested_at < cast('{{ end }}' as timestamp))
        {%- endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{# pre-hook: the queued days leave the table, even a day that has no rows any more #}
{% macro delete_days_to_rebuild(target, queue) -%}
    {%- if is_incremental() -%}
        delete from {{ target }} where usage_date in (select usage_date from {{ queue }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
