{% macro get_where_subquery(relation) -%}
    {#-
        The relation a data test reads. Besides dbt's `where` config, the var `test_scope`
        narrows it: with `test_scope: pending` (what the nightly run passes), a test reads
        only what this run changed (see `changed_rows_condition`), so that its cost follows
        the new data and not the history. Without it (a full refresh, the test suite, a
        plain `dbt build`), tests read every row.
    -#}
    {%- set where = config.get('where') -%}
    {%- set conditions = [where] if where else [] -%}
    {%- set changed = changed_rows_condition(relation, 'scoped') -%}
    {%- if changed -%}
        {%- do conditions.append(changed) -%}
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


{% macro changed_rows_condition(relation, alias, rebuilt_only=false) -%}
    {#-
        Under `test_scope: pending`, the SQL condition (on `relation` aliased `alias`) that
        keeps the rows this run changed, or '' (every row: the var is not set, or the
        relation is small and not per user):
        - a per-user model (it has `built_at` and the user key): the rows built since the
          last build, i.e. the pending users' rows, rebuilt in this run;
        - raw data (it has `loaded_at`), unless `rebuilt_only`: the rows loaded since the
          last build.
        Both stamps only grow along a table, so DuckDB skips the older row groups.
    -#}
    {%- if var('test_scope', 'all') != 'pending' or not execute -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation)
        | map(attribute='name') | map('lower') | list -%}
    {%- set per_user = 'assistant_id' in columns and 'channel' in columns and 'user_id' in columns -%}
    {%- if 'built_at' in columns and per_user -%}
        {%- do return(alias ~ '.built_at > ' ~ last_build_stamp()) -%}
    {%- elif 'loaded_at' in columns and not rebuilt_only -%}
        {%- do return(alias ~ '.loaded_at > ' ~ last_build_stamp()) -%}
    {%- endif -%}
    {%- do return('') -%}
{%- endmacro %}
