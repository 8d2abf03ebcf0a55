{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- Fails with every combination of the given columns that occurs more than once. -#}
{%- set columns = combination_of_columns | join(', ') -%}

with

duplicated as (

    select
        {{ columns }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1

)

select * from duplicated

{% endtest %}
