{#
    The landing contract's duplicate rule, stated once for every delivered
    export (usage requests of every source, deployments, Copilot user-days,
    provider cost results): of the copies of a key (rows of files
    re-delivering earlier content are ignored) the copy in the last file in
    path order wins, then the last line of that file, then the last record
    of that line (`position_columns`: an OTLP/JSON line holds many records),
    whatever day each copy puts the row on. `copies` is a relation or CTE
    with the staging columns (source_file, line_number); `key_columns` the
    column (or list of columns) that identifies a row: duplicates of usage
    are decided within a source (source × request_id). The caller chooses
    which keys to rank (all of them, or those with a copy on the days being
    rebuilt: every copy of a ranked key must be in `copies`). A macro rather
    than a view filtered by the caller: DuckDB does not push a key semi-join
    below the window, so a filtered view still ranks the whole history.
    `skip_redelivered=false` where int_landing__redelivered_files never
    lists the files: provider cost pages (reference files, replaced whole)
    and roster snapshots (dated by their file name, so an unchanged roster is
    a new snapshot; one listing an employee twice keeps its last line).
#}
{% macro winning_copies(
    copies, key_columns, position_columns=['source_file', 'line_number'], skip_redelivered=true
) -%}
    {%- set keys = [key_columns] if key_columns is string else key_columns -%}
    select *
    from (
        select
            {{ copies }}.*,
            row_number() over (
                partition by
                {%- for key in keys %} {{ copies }}.{{ key }}{{ "," if not loop.last }}{% endfor %}
                order by
                {%- for column in position_columns %} {{ copies }}.{{ column }} desc{{ "," if not loop.last }}{% endfor %}
            ) as copy_rank
        from {{ copies }}
        {%- if skip_redelivered %}
        left join {{ ref('int_landing__redelivered_files') }} as redelivered_files
            on {{ copies }}.source_file = redelivered_files.source_file
        where redelivered_files.source_file is null
        {%- endif %}
    ) as ranked_copies
    where copy_rank = 1
{%- endmacro %}
