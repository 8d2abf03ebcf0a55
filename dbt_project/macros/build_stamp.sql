{% macro build_stamp() -%}
    {#-
        When this dbt invocation started (UTC), as a timestamp literal: the `built_at` of
        every row the per-user models write in it. Rows written by one invocation share it,
        and a later invocation's stamp is greater.
    -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}


{% macro rebuilt_since_last_build_of_this(alias) -%}
    {#-
        Incremental filter of a per-user model that reads another per-user model (aliased
        `alias`): the rows that model rebuilt after this model's last build. In a nightly
        `dbt build` those are the pending users' rows, just rebuilt; since `built_at` only
        grows along a table, DuckDB skips every older row group instead of matching the whole
        history against raw.pending_users.
    -#}
    {{ alias }}.built_at > (
        select coalesce(max(built_at), {{ dbt.cast("'1900-01-01'", dbt.type_timestamp()) }})
        from {{ this }}
    )
{%- endmacro %}


{% macro last_build_stamp() -%}
    {#-
        The `built_at` of the newest build before this dbt invocation (read from
        int_sessions, which every build of the per-user models writes first), as a timestamp
        literal; 1900-01-01 before any. Raw rows loaded after it and model rows built after
        it are what this run changed: the rows the nightly's data tests read.
    -#}
    {%- set sessions = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', 'int_sessions') | first -%}
    {%- set built = adapter.get_relation(
        database=sessions.database, schema=sessions.schema, identifier=sessions.alias
    ) if execute else none -%}
    {%- set found = run_query(
        'select cast(max(built_at) as varchar) from ' ~ built
        ~ ' where built_at < ' ~ build_stamp()
    ) if built else none -%}
    {%- set stamp = found.columns[0].values()[0] if found else none -%}
    cast('{{ stamp or "1900-01-01" }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
