{#
    The landing contract's duplicate rule, stated once: of the copies of a
    request_id (rows of files re-delivering earlier content are ignored) the
    copy in the last file in path order wins, then the last line of that
    file, whatever day each copy puts the request on. `copies` is a relation
    or CTE with the staging columns; the caller chooses which request_ids to
    rank (all of them, or those with a copy on the days being rebuilt: every
    copy of a ranked request_id must be in `copies`). A macro rather than a
    view filtered by the caller: DuckDB does not push a request_id semi-join
    below the window, so a filtered view still ranks the whole history.
#}
{% macro winning_usage_copies(copies) -%}
    select *
    from (
        select
            {{ copies }}.*,
            row_number() over (
                partition by {{ copies }}.request_id
                order by {{ copies }}.source_file desc, {{ copies }}.line_number desc
            ) as copy_rank
        from {{ copies }}
        left join {{ ref('int_landing__redelivered_files') }} as redelivered_files
            on {{ copies }}.source_file = redelivered_files.source_file
        where redelivered_files.source_file is null
    ) as ranked_copies
    where copy_rank = 1
{%- endmacro %}
