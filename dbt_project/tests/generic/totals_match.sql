{% test totals_match(model, expression, compare_model, compare_expression) %}
{#-
    Fails when an aggregate of the model (`expression`, e.g. `sum(interaction_count)`)
    differs from an aggregate of another relation (`compare_expression`, e.g. `count(*)`).
-#}

with

totals as (

    select
        (select {{ expression }} from {{ model }}) as model_total,
        (select {{ compare_expression }} from {{ compare_model }}) as compare_total

)

select *
from totals
where model_total is distinct from compare_total

{% endtest %}
