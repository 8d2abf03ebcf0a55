{% test totals_match(model, expression, compare_model, compare_expression) %}
{#-
    Fails when an aggregate of the model (`expression`, e.g. `sum(interaction_count)`)
    differs from an aggregate of another relation (`compare_expression`, e.g. `count(*)`).
    When the model's rows are narrowed (see `get_where_subquery`), so is the compared
    relation: to its rows built in the same run when it is a per-user model too, else to
    every row of the users the narrowed model holds.
-#}
{%- set narrowed = model is string -%}
{%- set compared_columns = adapter.get_columns_in_relation(compare_model)
    | map(attribute='name') | map('lower') | list if narrowed and execute else [] -%}

with

totals as (

    select
        (select {{ expression }} from {{ model }}) as model_total,
        (
            select {{ compare_expression }}
            from {{ compare_model }} as compared
            {%- if 'built_at' in compared_columns %}
            where {{ changed_rows_condition(compare_model, 'compared') }}
            {%- elif narrowed %}
            where exists (
                select 1 from {{ model }}
                where
                    dbt_subquery.assistant_id = compared.assistant_id
                    and dbt_subquery.channel = compared.channel
                    and dbt_subquery.user_id = compared.user_id
            )
            {%- endif %}
        ) as compare_total

)

select *
from totals
where model_total is distinct from compare_total

{% endtest %}
