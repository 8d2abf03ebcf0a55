{#-
    The Spark side of the project's dispatched macros (`--target spark`, docs/scaling.md).
    Each has its DuckDB (default) implementation beside its dispatcher in its own file.
-#}
{% macro spark__precise_dateadd(datepart, interval, from_date_or_timestamp) -%}
    {#- Spark's own timestampadd keeps the microseconds (dbt-spark's dateadd does not). -#}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}


{% macro spark__local_date(utc_timestamp, timezone) -%}
    cast(from_utc_timestamp({{ utc_timestamp }}, {{ timezone }}) as date)
{%- endmacro %}


{% macro spark__month_starts(first_month, last_month) -%}
    explode(sequence(
        cast({{ first_month }} as date), cast({{ last_month }} as date), interval 1 month
    ))
{%- endmacro %}


{% macro spark__month_label(month_start) -%}
    date_format({{ month_start }}, 'yyyy-MM')
{%- endmacro %}


{% macro spark__type_total() -%}
    bigint
{%- endmacro %}


{% macro register_spark_tables() -%}
    {{ return(adapter.dispatch('register_spark_tables', 'chat_warehouse')()) }}
{%- endmacro %}

{#- Nothing to register on DuckDB: its file keeps its catalog. -#}
{% macro default__register_spark_tables() -%}
{%- endmacro %}

{% macro spark__register_spark_tables() -%}
    {#-
        Spark's catalog lives in memory (profiles.yml): every dbt invocation starts with
        none. This registers, before any model runs, the Parquet folders that are already
        there: raw's tables (written from DuckDB before dbt starts, orchestration/spark.py)
        and the tables an earlier build left (`var('spark_tables')`, the folders found under
        `<warehouse>.spark/tables/`), so that an incremental model finds its previous state.
    -#}
    {%- if execute -%}
        {%- set root = var('chatwh_warehouse', env_var('CHATWH_WAREHOUSE', '../data/warehouse.duckdb')) ~ '.spark' -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in ['assistants', 'erasures', 'reloads', 'web_events', 'whatsapp_messages'] -%}
            {%- do run_query(
                'create table if not exists raw.' ~ table
                ~ " using parquet location '" ~ root ~ '/raw/' ~ table ~ "'"
            ) -%}
        {%- endfor -%}
        {%- set existing = var('spark_tables', []) -%}
        {%- for node in graph.nodes.values()
            if node.resource_type == 'model'
            and node.config.materialized in ('table', 'incremental')
            and (node.schema ~ '.' ~ node.alias) in existing -%}
            {%- set relation = api.Relation.create(
                schema=node.schema, identifier=node.alias, type='table'
            ) -%}
            {%- do run_query(
                'create table if not exists ' ~ relation ~ " using parquet location '"
                ~ node.config.location_root ~ '/' ~ node.alias ~ "'"
            ) -%}
            {%- do adapter.cache_added(relation) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{% macro spark__known_timezone(timezone) -%}
    {#- Spark has no list of zones: an unknown one fails the conversion, and so the test. -#}
    from_utc_timestamp(timestamp'2000-01-01 00:00:00', {{ timezone }}) is not null
{%- endmacro %}
