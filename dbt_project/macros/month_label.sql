{% macro month_label(month_start) -%}
    {{ return(adapter.dispatch('month_label', 'chat_warehouse')(month_start)) }}
{%- endmacro %}

{#- A month's first day as its `YYYY-MM` label. -#}
{% macro default__month_label(month_start) -%}
    strftime({{ month_start }}, '%Y-%m')
{%- endmacro %}
