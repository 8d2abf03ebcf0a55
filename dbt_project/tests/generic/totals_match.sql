{% test totals_match(model, expression, compare_model, compare_expression) %}
{#-
    Fails when an aggregate of the model (`expression`, e.g. `sum(interaction_count)`)
    differs from an aggregate of another relation (`compare_expression`, e.g. `count(*)`).
    When the model's rows are narrowed (see `get_where_subquery`: under `test_scope:
    pending`, to the pending users' rows), the compared relation is narrowed the same way.
-#}
{%- set compared = get_where_subquery(compare_model) if model is string else compare_model %}

with

totals as (

    select
        (select {{ expression }} from {{ model }}) as model_total,
        (select {{ compare_expression }} from {{ compared }}) as compare_total

)

select *
from totals
where model_total is distinct from compare_total

{% endtest %}
