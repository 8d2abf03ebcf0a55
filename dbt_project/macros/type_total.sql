{% macro type_total() -%}
    {{ return(adapter.dispatch('type_total', 'chat_warehouse')()) }}
{%- endmacro %}

{#-
    The type of a sum of counts, as each engine gives it: DuckDB's sum of bigint is a
    hugeint, Spark's a bigint (the values are the same).
-#}
{% macro default__type_total() -%}
    hugeint
{%- endmacro %}
