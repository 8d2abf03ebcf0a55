{#-
    One row: `rewrite_from`, the first local date this build rewrites (a day on DuckDB, the
    first of a month on Spark: `rewrite_grain`), in int_sessions and in every incremental
    mart (their incremental predicates and filters read it): the rule of the macro
    `rewrite_from_sql`, applied to the change set and to the sessions int_sessions holds
    from the previous build. A full build (the first, or `--full-refresh`) rewrites from
    the beginning without reading the change set.
-#}
{%- set sessions = previous_state('int_sessions') %}
{%- if sessions and not flags.FULL_REFRESH %}
    {{ rewrite_from_sql(sessions, ref('int_changed_users')) }}
{%- else %}
    -- depends_on: {{ ref('int_changed_users') }}
    select {{ dbt.cast("'1970-01-01'", 'date') }} as rewrite_from
{%- endif %}
