{% macro month_starts(first_month, last_month) -%}
    {{ return(adapter.dispatch('month_starts', 'chat_warehouse')(first_month, last_month)) }}
{%- endmacro %}

{#-
    A set-returning expression: the first day of every month from first_month to
    last_month (both first days of a month), one row each. dbt's date_spine needs literal
    bounds; this one takes columns of the query it sits in.
-#}
{% macro default__month_starts(first_month, last_month) -%}
    cast(unnest(generate_series(
        cast({{ first_month }} as timestamp), cast({{ last_month }} as timestamp), interval 1 month
    )) as date)
{%- endmacro %}
