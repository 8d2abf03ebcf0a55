{% macro default__test_relationships(model, column_name, to, field) -%}
{#-
    dbt's `relationships` test, with the parent narrowed like the child under `test_scope:
    pending` when the parent is a per-user model too: to the rows of the users whose rows
    the child rebuilt in this run (the parent may have rebuilt only part of them).
-#}
{%- set per_user_parent = model is string and changed_rows_condition(to, 'parent_rows', rebuilt_only=true) %}

with

child as (

    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null

),

{% if per_user_parent -%}
child_users as (

    select distinct assistant_id, channel, user_id
    from {{ model }}

),

{% endif -%}
parent as (

    select {{ field }} as to_field
    from {{ to }} as parent_rows
    {%- if per_user_parent %}
    where exists (
        select 1 from child_users where {{ same_user('child_users', 'parent_rows') }}
    )
    {%- endif %}

)

select from_field
from child
left join parent
    on child.from_field = parent.to_field
where parent.to_field is null

{%- endmacro %}
