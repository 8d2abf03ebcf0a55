{% macro known_timezone(timezone) -%}
    {{ return(adapter.dispatch('known_timezone', 'chat_warehouse')(timezone)) }}
{%- endmacro %}

{#- True when `timezone` names a time zone of DuckDB's (ICU's) list. -#}
{% macro default__known_timezone(timezone) -%}
    {{ timezone }} in (select name from pg_timezone_names())
{%- endmacro %}
