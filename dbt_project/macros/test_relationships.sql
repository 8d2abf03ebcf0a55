{% macro default__test_relationships(model, column_name, to, field) -%}
{#-
    dbt's `relationships` test, with the parent narrowed like the child under `test_scope:
    pending` when the parent is a per-user model too: a pending user's rebuilt rows refer to
    rows rebuilt in the same run, and the rest of the parent's history is not read.
-#}
{%- set changed = changed_rows_condition(to, 'parent_rows', rebuilt_only=true) if model is string else '' %}

with

child as (

    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null

),

parent as (

    select {{ field }} as to_field
    from {{ to }} as parent_rows
    {% if changed %}where {{ changed }}{% endif %}

)

select from_field
from child
left join parent
    on child.from_field = parent.to_field
where parent.to_field is null

{%- endmacro %}
