{% macro local_date(utc_timestamp, timezone) -%}
    {{ return(adapter.dispatch('local_date', 'chat_warehouse')(utc_timestamp, timezone)) }}
{%- endmacro %}

{#- The calendar date, in an IANA time zone, of a UTC timestamp stored without zone. -#}
{% macro default__local_date(utc_timestamp, timezone) -%}
    cast(convert_timezone('UTC', {{ timezone }}, {{ utc_timestamp }}) as date)
{%- endmacro %}

{% macro duckdb__local_date(utc_timestamp, timezone) -%}
    cast(timezone({{ timezone }}, timezone('UTC', {{ utc_timestamp }})) as date)
{%- endmacro %}
