{% macro get_where_subquery(relation) -%}
    {#-
        The relation a data test reads. Besides dbt's `where` config, the var `test_scope`
        narrows it: with `test_scope: pending` (what the nightly run passes), the tests of a
        model with one row per user or finer (it has `assistant_id`, `channel` and `user_id`)
        read only the rows of the users in raw.pending_users, the rows this run rebuilt, so
        their cost follows the new data and not the history. Without it (a full refresh, the
        test suite, a plain `dbt build`), tests read every row.
    -#}
    {%- set where = config.get('where') -%}
    {%- set conditions = [where] if where else [] -%}
    {%- if var('test_scope', 'all') == 'pending' and execute -%}
        {%- set columns = adapter.get_columns_in_relation(relation)
            | map(attribute='name') | map('lower') | list -%}
        {%- if 'assistant_id' in columns and 'channel' in columns and 'user_id' in columns -%}
            {%- do conditions.append(is_pending_user('scoped')) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} as scoped where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
