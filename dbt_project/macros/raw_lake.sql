{#
    on-run-start: where the raw layer comes from. On DuckDB the raw tables are
    in the WORK database itself. On Spark they are the Parquet lake
    (orchestration/lake.py) under AIW_LAKE_DIR: each source table of schema
    `raw` becomes a view over its folder (partition folders dt=… become the
    dt column), recreated every run so it reads the current export.
#}
{% macro register_raw_lake() -%}
    {{ return(adapter.dispatch('register_raw_lake', 'ai_impact_warehouse')()) }}
{%- endmacro %}

{% macro default__register_raw_lake() -%}
    select 1
{%- endmacro %}

{% macro spark__register_raw_lake() -%}
    {%- if execute -%}
        {%- set lake = env_var('AIW_LAKE_DIR', 'data/warehouse.work.spark/lake') -%}
        {%- set tables = [] -%}
        {%- for node in graph.sources.values() if node.schema == 'raw' -%}
            {%- if node.identifier not in tables -%}
                {%- do tables.append(node.identifier) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in tables -%}
            {%- do run_query(
                'create or replace view raw.' ~ table
                ~ ' as select * from parquet.`' ~ lake ~ '/' ~ table ~ '`'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{#
    on-run-end: on Spark, every model of the schemas the quality gates and
    publish read is written as Parquet under AIW_SPARK_DIR/results/<schema>/<name>
    (views included, evaluated by Spark), so the pipeline reads Spark's
    results through DuckDB (orchestration/lake.py::mirror_results) exactly
    as it reads a DuckDB build. Only after run/build; nothing on DuckDB.
#}
{% macro export_model_results() -%}
    {{ return(adapter.dispatch('export_model_results', 'ai_impact_warehouse')()) }}
{%- endmacro %}

{% macro default__export_model_results() -%}
    select 1
{%- endmacro %}

{% macro spark__export_model_results() -%}
    {%- if execute and flags.WHICH in ('run', 'build') -%}
        {%- set results_dir = env_var('AIW_SPARK_DIR', 'data/warehouse.work.spark') ~ '/results' -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.config.materialized != 'ephemeral'
            and node.schema in ('intermediate', 'marts', 'restricted', 'audit') -%}
            {%- do run_query(
                "insert overwrite directory '" ~ results_dir ~ '/' ~ node.schema ~ '/' ~ node.alias
                ~ "' using parquet select * from " ~ node.schema ~ '.' ~ node.alias
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}
