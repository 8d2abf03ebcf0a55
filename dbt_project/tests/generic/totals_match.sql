{% test totals_match(model, expression, compare_model, compare_expression) %}
{#-
    Fails when an aggregate of the model (`expression`, e.g. `sum(interaction_count)`)
    differs from an aggregate of another relation (`compare_expression`, e.g. `count(*)`).
    When the model's rows are narrowed (see `get_where_subquery`), so is the compared
    relation: to its rows built in the same run when it is a per-user model too, else to
    every row of the users the narrowed model holds.
-#}
{%- set narrowed = model is string -%}
{%- set rebuilt = changed_rows_condition(compare_model, 'compared', rebuilt_only=true)
    if narrowed else '' -%}
{%- set by_users = narrowed and not rebuilt %}

with

model_rows as (

    select * from {{ model }}

),

{% if by_users -%}
model_users as (

    select distinct assistant_id, channel, user_id
    from model_rows

),

{% endif -%}
compared_rows as (

    select compared.*
    from {{ compare_model }} as compared
    {%- if by_users %}
    inner join model_users
        on compared.assistant_id = model_users.assistant_id
        and compared.channel = model_users.channel
        and compared.user_id = model_users.user_id
    {%- elif rebuilt %}
    where {{ rebuilt }}
    {%- endif %}

),

totals as (

    select
        (select {{ expression }} from model_rows) as model_total,
        (select {{ compare_expression }} from compared_rows) as compare_total

)

select *
from totals
where model_total is distinct from compare_total

{% endtest %}
