{% macro previous_state(model_name) -%}
    {#-
        The relation of the model `model_name` as the previous build left it, or none when
        it does not exist yet (and at parse time). Not a `ref`: the models that read it run
        before it in this build. `int_changed_users` reads `build_log` (what the previous
        complete build saw) and `int_restart_point` reads `int_sessions` (the sessions before
        this build's changes).
    -#}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set node = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model_name) | first -%}
    {%- do return(adapter.get_relation(
        database=node.database, schema=node.schema, identifier=node.alias
    )) -%}
{%- endmacro %}


{% macro minus_session_timeout(timestamp_sql) -%}
    {{ precise_dateadd('minute', -1 * var('session_timeout_minutes'), timestamp_sql) }}
{%- endmacro %}


{% macro rewrite_grain() -%}
    {#-
        What a nightly rewrites at the least, as a `date_trunc` unit: the restart point is
        rounded down to it. On DuckDB a day: delete+insert removes the rows its predicate
        names, any set of days. On Spark a month: insert_overwrite replaces whole partitions,
        and `int_sessions` and `fct_sessions` are partitioned by `session_month`.
    -#}
    {{ return(adapter.dispatch('rewrite_grain', 'chat_warehouse')()) }}
{%- endmacro %}

{% macro default__rewrite_grain() -%}
    {{ return('day') }}
{%- endmacro %}

{% macro spark__rewrite_grain() -%}
    {{ return('month') }}
{%- endmacro %}


{% macro rewrite_from_sql(sessions, changes) -%}
    {#-
        One row, one column `rewrite_from`: the first local date that the change set
        `changes` can alter in `sessions` (a relation of sessions with `started_at`,
        `ended_at` and the user key), rounded down to `rewrite_grain()`; null when nothing
        changed.

        Per change, with c its `changed_from` and t the session timeout, the restart is the
        start of the user's earliest session that ends at or after c - t, or c when there is
        none: the sessions that end before c - t keep every interaction and boundary. The
        earliest restart R over the change set, as a local date, is at most a day before
        its UTC date, so every session from R on is dated R's UTC date minus a day or
        later: that date, rounded down to the grain, is the answer. A change without
        `changed_from` (a time zone changed) rewrites from the beginning (1970-01-01).
    -#}
    {#- the earliest change as a literal: the scan of `sessions` then skips older row groups -#}
    {%- set earliest = run_query(
        'select cast(min(changed_from) as ' ~ dbt.type_string() ~ ') from ' ~ changes
    ).columns[0].values()[0] if execute else none %}
    {%- set earliest_change = dbt.cast(
        dbt.string_literal(earliest) if earliest else 'null', dbt.type_timestamp()
    ) %}
    with

    changes as (

        select * from {{ changes }}

    ),

    restarts as (

        select
            changes.changed_from,
            least(changes.changed_from, min(sessions.started_at)) as restart_at
        from changes
        left join {{ sessions }} as sessions
            on changes.assistant_id = sessions.assistant_id
            and changes.channel = sessions.channel
            and changes.user_id = sessions.user_id
            and sessions.ended_at >= {{ minus_session_timeout('changes.changed_from') }}
            -- the same bound for every change: a filter on one column of the scan
            and sessions.ended_at >= {{ minus_session_timeout(earliest_change) }}
        group by changes.assistant_id, changes.channel, changes.user_id, changes.changed_from

    )

    select
        case
            when count(*) = 0 then null
            when count(changed_from) < count(*) then {{ dbt.cast("'1970-01-01'", 'date') }}
            else {{ dbt.cast(dbt.date_trunc(
                rewrite_grain(), dbt.dateadd('day', -1, dbt.cast('min(restart_at)', 'date'))
            ), 'date') }}
        end as rewrite_from
    from restarts
{%- endmacro %}


{% macro unreffed_relation(layer, name) -%}
    {#-
        The model `name` of the layer (schema) `layer`, named without `ref`: for the
        incremental predicates, which are configured when the project is parsed. A model
        whose predicate reads it `ref`s it too, so it is built before.
    -#}
    {{ return(api.Relation.create(
        database=target.database if target.database is defined else none,
        schema=generate_schema_name(layer, none),
        identifier=name
    )) }}
{%- endmacro %}


{% macro restart_point_relation() -%}
    {#-
        The table `int_restart_point`, without `ref` (`unreffed_relation`). The models that
        use it `ref` it too (through `rewrite_from`), so it is built before them.
    -#}
    {{ return(unreffed_relation('intermediate', 'int_restart_point')) }}
{%- endmacro %}


{% macro rewrite_from(grain='day') -%}
    {#-
        For the incremental models: the date `int_restart_point` says the build rewrites
        from, as a date literal, or the first day of its month (`grain='month'`, for a
        model by month); `null` when nothing changed, on a full build (nothing is filtered
        then) or at parse time. As a literal it lets DuckDB skip the older row groups of a
        scan.
    -#}
    {%- set relation = ref('int_restart_point') -%}
    {%- if not execute or not is_incremental() -%}
        {%- do return('null') -%}
    {%- endif -%}
    {%- set found = run_query(
        'select cast(rewrite_from as ' ~ dbt.type_string() ~ ') from ' ~ relation
    ).columns[0].values() -%}
    {%- if not found or found[0] is none -%}
        {%- do return('null') -%}
    {%- endif -%}
    {%- set day = found[0][:10] -%}
    {%- do return(dbt.cast(dbt.string_literal(
        day[:8] ~ '01' if grain == 'month' else day
    ), 'date')) -%}
{%- endmacro %}


{% macro rewritten_partitions(column, grain='day') -%}
    {#-
        The incremental predicate of an incremental model: its rows dated (`column`) from
        the restart point on (from the first day of its month for a model by month,
        `grain='month'`), which the model's delete+insert replaces, read from
        int_restart_point when the delete runs.
    -#}
    {%- set first = 'rewrite_from' if grain == 'day' else dbt.cast(
        dbt.date_trunc('month', 'rewrite_from'), 'date'
    ) %}
    {{ column }} >= (select {{ first }} from {{ restart_point_relation() }})
{%- endmacro %}


{% macro last_build_stamp() -%}
    {#-
        The `built_at` of the previous complete build (the newest row of `build_log`) as a
        timestamp literal, 1900-01-01 before the first build: raw rows loaded after it are
        the ones that build did not see. A literal, so that a scan of raw by load time
        skips the row groups loaded before it (raw is appended in load order).
    -#}
    {%- set log = previous_state('build_log') %}
    {%- set last_built_at = none %}
    {%- if log %}
        {%- set last_built_at = run_query(
            'select cast(max(built_at) as ' ~ dbt.type_string() ~ ') from ' ~ log
        ).columns[0].values()[0] %}
    {%- endif %}
    {{- dbt.cast(
        dbt.string_literal(last_built_at) if last_built_at else 'null', dbt.type_timestamp()
    ) if log else dbt.cast("'1900-01-01'", dbt.type_timestamp()) -}}
{%- endmacro %}


{% macro build_stamp() -%}
    {#-
        When this dbt invocation started (UTC), as a timestamp literal: the `built_at` of
        every row the incremental models write in it, and of the invocation's row in
        `build_log`. A later invocation's stamp is greater.
    -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
