{% macro default__test_relationships(model, column_name, to, field) -%}
{#-
    dbt's `relationships` test, with the parent narrowed like the child under `test_scope:
    pending` when the parent is a per-user model too: to the rows of the users whose rows
    the child rebuilt in this run (the parent may have rebuilt only part of them).

    With `meta: {since_restart: <time column>}` on the test (fct_sessions -> int_sessions),
    both sides are bounded instead by the earliest restart of the build: the child's rows
    before it are its own rows taken back unchanged (checked when they were built), and the
    parent's rows before it were not rebuilt, so only the rows from the restart on can have
    lost their parent; the parent's rows from there on, of every user, are a superset of
    the parents they can have. Both tables are in time order, so the bound skips the old
    row groups instead of scanning the key columns of every session.
-#}
{%- set per_user_parent = model is string and changed_rows_condition(to, 'parent_rows', rebuilt_only=true) %}
{%- set since_column = config.get('meta', {}).get('since_restart') if per_user_parent else none %}
{%- set since = recorded_restart_bound() if since_column else '' %}

with

child as (

    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
    {%- if since %}
        and {{ since_column }} >= {{ since }}
    {%- endif %}

),

{% if per_user_parent and not since -%}
child_users as (

    select distinct assistant_id, channel, user_id
    from {{ model }}

),

{% endif -%}
parent as (

    select {{ field }} as to_field
    from {{ to }} as parent_rows
    {%- if since %}
    where parent_rows.{{ since_column }} >= {{ since }}
    {%- elif per_user_parent %}
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
