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
    {{ return(adapter.dispatch('delete_days_to_rebuild', 'ai_impact_warehouse')(target, queue)) }}
{%- endmacro %}

{% macro default__delete_days_to_rebuild(target, queue) -%}
    {%- if is_incremental() -%}
        delete from {{ target }} where usage_date in (select usage_date from {{ queue }})
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#
    Spark cannot delete rows from a Parquet table; the table is partitioned by
    usage_date there (usage_days_partition_by), so each queued day's
    partition is dropped, files and all, before the append.
#}
{% macro spark__delete_days_to_rebuild(target, queue) -%}
    {%- if is_incremental() and execute -%}
        {%- set days = run_query(
            'select distinct usage_date from ' ~ queue ~ ' where usage_date is not null'
        ).columns[0].values() -%}
        {%- for day in days -%}
            {%- do run_query(
                'alter table ' ~ target ~ " drop if exists partition (usage_date = date'" ~ day ~ "')"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{# post-hook: the rebuilt days leave the queue, in the same transaction as the insert #}
{% macro empty_days_to_rebuild(queue) -%}
    {{ return(adapter.dispatch('empty_days_to_rebuild', 'ai_impact_warehouse')(queue)) }}
{%- endmacro %}

{% macro default__empty_days_to_rebuild(queue) -%}
    delete from {{ queue }}
{%- endmacro %}

{#
    On Spark the queue is a view over the Parquet lake, which dbt does not
    write: the pipeline removes the days it exported from the WORK queue once
    dbt succeeded (orchestration/lake.py::consume_queue). Run by hand, the
    next build rebuilds the same days again, which changes nothing.
#}
{% macro spark__empty_days_to_rebuild(queue) -%}
    select 1
{%- endmacro %}

{# the incremental usage model is partitioned by day where days are dropped as partitions #}
{% macro usage_days_partition_by() -%}
    {{ return(adapter.dispatch('usage_days_partition_by', 'ai_impact_warehouse')()) }}
{%- endmacro %}

{% macro default__usage_days_partition_by() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__usage_days_partition_by() -%}
    {{ return(['usage_date']) }}
{%- endmacro %}
