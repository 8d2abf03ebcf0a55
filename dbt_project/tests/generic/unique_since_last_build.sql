{% test unique_since_last_build(model, combination_of_columns) %}
{#-
    Fails with every combination of the given columns that a row loaded since the last
    complete build (`loaded_at` after `last_build_stamp()`) holds and more than one row of
    the whole model holds. The rows loaded before were checked by the builds that saw
    them, so the table stays unique as a whole, at the cost of a join of tonight's keys
    instead of grouping every row. A full refresh checks every row.
-#}
{%- set columns = combination_of_columns | join(', ') -%}

with

new_keys as (

    select distinct {{ columns }}
    from {{ model }}
    {%- if not flags.FULL_REFRESH %}
        where loaded_at > {{ last_build_stamp() }}
    {%- endif %}

),

duplicated as (

    select
        {{ columns }},
        count(*) as occurrences
    from {{ model }}
    inner join new_keys using ({{ columns }})
    group by {{ columns }}
    having count(*) > 1

)

select * from duplicated

{% endtest %}
