{% test totals_match(model, expression, compare_model, compare_expression, since=none, compare_since=none) %}
{#-
    Fails when an aggregate of the model (`expression`, e.g. `sum(interaction_count)`)
    differs from an aggregate of another relation (`compare_expression`, e.g. `count(*)`).
    When the model's rows are narrowed (see `get_where_subquery`), so is the compared
    relation: to its rows built in the same run when it is a per-user model too, else to
    the rows of the users the narrowed model holds. With `since` and `compare_since`
    (column names), for a model rebuilt from each user's restart on: to the rows of the
    users the narrowed model holds whose `compare_since` is at or after the earliest
    `since` of the user's rows in the model.
-#}
{%- set narrowed = model is string -%}
{%- set rebuilt = changed_rows_condition(compare_model, 'compared', rebuilt_only=true)
    if narrowed else '' -%}
{%- set by_time = narrowed and since and compare_since -%}
{%- set by_users = narrowed and (by_time or not rebuilt) -%}
{%- set earliest = none -%}
{%- if by_time and execute -%}
    {%- set earliest = run_query(
        'select cast(min(' ~ since ~ ') as varchar) from ' ~ model
    ).columns[0].values()[0] -%}
{%- endif %}

with

model_rows as (

    select * from {{ model }}

),

{% if by_users -%}
model_users as (

    select
        assistant_id,
        channel,
        user_id{% if by_time %},
        min({{ since }}) as since{% endif %}
    from model_rows
    group by assistant_id, channel, user_id

),

{% endif -%}
compared_rows as (

    select compared.*
    from {{ compare_model }} as compared
    {%- if by_users %}
    inner join model_users
        on {{ same_user('compared', 'model_users') }}
        {%- if by_time %}
        and compared.{{ compare_since }} >= model_users.since
        {%- endif %}
    {%- endif %}
    where true
        {%- if rebuilt %}
        and {{ rebuilt }}
        {%- endif %}
        {%- if earliest %}
        -- the same bound for every user, as a literal: DuckDB skips the older row groups
        and compared.{{ compare_since }} >= {{ dbt.string_literal(earliest) }}
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
