{% macro precise_dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(adapter.dispatch('precise_dateadd', 'chat_warehouse')(
        datepart, interval, from_date_or_timestamp
    )) }}
{%- endmacro %}

{#-
    A timestamp plus an interval, to the microsecond: sessions are split on millisecond
    timestamps. dbt's `dateadd` does that on DuckDB; dbt-spark's cuts minutes to whole
    seconds, so the Spark implementation will be the project's own.
-#}
{% macro default__precise_dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ dbt.dateadd(datepart, interval, from_date_or_timestamp) }}
{%- endmacro %}
