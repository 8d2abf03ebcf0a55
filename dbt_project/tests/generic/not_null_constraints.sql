{% test not_null_constraints(model) %}
{#-
    Fails with every row that has a null in a column the model's YAML constrains
    `not_null`: what the contract enforces on DuckDB, which dbt-spark does not enforce.
    Tagged `contract`: a build on DuckDB leaves it out, since it cannot fail there.
-#}
{{ config(tags=['contract']) }}
{%- set columns = [] -%}
{%- if execute -%}
    {%- set node = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('schema', 'equalto', model.schema)
        | selectattr('alias', 'equalto', model.identifier) | first -%}
    {%- for column in node.columns.values() -%}
        {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list -%}
            {%- do columns.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

select *
from {{ model }}
where
    {%- for column in columns %} {{ column }} is null{% if not loop.last %} or{% endif %}
    {%- else %} false
    {%- endfor %}

{% endtest %}
