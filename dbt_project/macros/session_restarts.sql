{% macro session_restarts_relation() -%}
    {#-
        intermediate.session_restarts: for each pending user, the time from which the
        nightly re-sessionizes them (null: their whole history). Written by the pre-hook of
        int_sessions, emptied with raw.pending_users once `dbt build` succeeds. Bookkeeping,
        like raw.pending_users: not a model.
    -#}
    intermediate.session_restarts
{%- endmacro %}


{% macro pending_changes() -%}
    {#-
        One row per pending user: the earliest interaction added or removed since the last
        successful build (`changed_from`), null when the whole history is to be redone (a
        queued row without it: an erasure, an assistant whose time zone changed).
    -#}
    select
        assistant_id,
        channel,
        user_id,
        case when count(changed_from) = count(*) then min(changed_from) end as changed_from
    from {{ pending_users_relation() }}
    group by assistant_id, channel, user_id
{%- endmacro %}


{% macro session_restarts_sql(sessions) -%}
    {#-
        The restart of each pending user, computed from `sessions` (int_sessions before this
        build touches it). With c the user's `changed_from` and t the session timeout, the
        user's sessions that end before c - t keep every interaction and every boundary
        (nothing before c changed, and the next interaction is more than t later), so only
        the sessions that end at or after c - t are rebuilt: the restart is the start of the
        earliest of them, or c when there is none. Both are session starts before and after
        the change, so the sessions from the restart on, rebuilt from the interactions from
        the restart on, are what a full rebuild gives.

        A restart left by a build that failed after int_sessions (so raw.pending_users was
        not emptied) is kept when it is earlier: the later models may not have caught up
        with the sessions it rebuilt.
    -#}
    {%- set changed = pending_changes_bound() -%}
    {#- a warehouse built before the restarts existed has no table yet -#}
    {%- set stored = execute and adapter.get_relation(
        database=target.database, schema='intermediate', identifier='session_restarts'
    ) -%}
    with

    pending as (

        {{ pending_changes() }}

    ),

    computed as (

        select
            pending.assistant_id,
            pending.channel,
            pending.user_id,
            case
                when pending.changed_from is not null
                    then least(pending.changed_from, min(kept.started_at))
            end as restart_at
        from pending
        left join {{ sessions }} as kept
            on {{ same_user('kept', 'pending') }}
            and kept.ended_at >= {{ minus_session_timeout('pending.changed_from') }}
            {%- if changed %}
            -- the same condition for every user at once: a filter on one column of the scan
            and kept.ended_at >= {{ minus_session_timeout(changed) }}
            {%- endif %}
        group by pending.assistant_id, pending.channel, pending.user_id, pending.changed_from

    ),

    merged as (

        select * from computed
        {%- if stored %}

        union all

        -- left by a build that failed after int_sessions
        select assistant_id, channel, user_id, restart_at
        from {{ session_restarts_relation() }}
        {%- endif %}

    )

    select
        assistant_id,
        channel,
        user_id,
        case when count(restart_at) = count(*) then min(restart_at) end as restart_at
    from merged
    group by assistant_id, channel, user_id
{%- endmacro %}


{% macro minus_session_timeout(timestamp_sql) -%}
    {{ dbt.dateadd('minute', -1 * var('session_timeout_minutes'), timestamp_sql) }}
{%- endmacro %}


{% macro pending_changes_bound() -%}
    {#-
        The earliest `changed_from` of all pending users as a timestamp literal, or '' when
        some pending user is to be redone whole (or at parse time). Older rows cannot
        change in this build; as a literal, it lets DuckDB filter a scan on one column.
    -#}
    {{ return(earliest_or_nothing(pending_users_relation(), 'changed_from')) }}
{%- endmacro %}


{% macro restart_bound(restarts_sql) -%}
    {#-
        The earliest restart of `restarts_sql` as a timestamp literal, or '' when some user
        restarts from the beginning (or there is no restart, or at parse time).
    -#}
    {{ return(earliest_or_nothing('(' ~ restarts_sql ~ ') as restarts', 'restart_at')) }}
{%- endmacro %}


{% macro earliest_or_nothing(from_sql, column) -%}
    {#-
        The earliest `column` (a timestamp) of the rows of `from_sql`, as a literal; '' when
        there is no row, when a row has none (no bound holds for every row), or at parse
        time.
    -#}
    {%- if not execute -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set found = run_query(
        'select cast(min(' ~ column ~ ') as varchar), count(*) - count(' ~ column ~ ') from '
        ~ from_sql
    ) -%}
    {%- set earliest, unbounded = found.columns[0].values()[0], found.columns[1].values()[0] -%}
    {%- if earliest is none or unbounded > 0 -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- do return(dbt.cast(dbt.string_literal(earliest), dbt.type_timestamp())) -%}
{%- endmacro %}


{% macro recorded_restart_bound() -%}
    {#- restart_bound of the restarts int_sessions recorded in this build. -#}
    {{ return(restart_bound('select * from ' ~ session_restarts_relation())) }}
{%- endmacro %}


{% macro is_from_restart(time_sql) -%}
    {#-
        SQL condition on a row joined with its user's restart (aliased `restarts`): the
        row's time (`time_sql`) is at or after the restart, or the user restarts from the
        beginning.
    -#}
    (restarts.restart_at is null or {{ time_sql }} >= restarts.restart_at)
{%- endmacro %}


{% macro restarted_interactions_bound() -%}
    {#-
        For the model int_sessions (compiled before its pre-hooks run): the earliest restart
        its pre-hook is about to record, as a literal ('' when some user restarts from the
        beginning): no interaction before it is read again.
    -#}
    {{ return(restart_bound(session_restarts_sql(this))) }}
{%- endmacro %}


{% macro ensure_session_restarts() -%}
    create table if not exists {{ session_restarts_relation() }} (
        assistant_id {{ dbt.type_string() }} not null,
        channel {{ dbt.type_string() }} not null,
        user_id {{ dbt.type_string() }} not null,
        restart_at {{ dbt.type_timestamp() }}
    )
{%- endmacro %}


{% macro restart_pending_sessions(relation) -%}
    {#-
        First pre-hook of int_sessions. On an incremental run: records each pending user's
        restart (session_restarts_sql), replacing those a failed build left (they take part
        in the computation). On a full build there is nothing to restart from.
    -#}
    {{ ensure_session_restarts() }};
    {% if is_incremental() %}
        create or replace temp table computed_restarts as
        {{ session_restarts_sql(relation) }};
        delete from {{ session_restarts_relation() }};
        insert into {{ session_restarts_relation() }}
        select assistant_id, channel, user_id, restart_at from computed_restarts;
        drop table computed_restarts;
    {% endif %}
{%- endmacro %}


{% macro delete_restarted_sessions(relation) -%}
    {#- Second pre-hook of int_sessions: the pending users' sessions from their restart on. -#}
    {% if is_incremental() %}
        delete from {{ relation }} as kept
        where exists (
            select 1 from {{ session_restarts_relation() }} as restarts
            where
                {{ same_user('restarts', 'kept') }}
                and {{ is_from_restart('kept.started_at') }}
        )
        {%- set bound = recorded_restart_bound() %}
        {%- if bound %}
            and kept.started_at >= {{ bound }}
        {%- endif %}
    {% endif %}
{%- endmacro %}


{% macro restart_floor(restart_sql, grain) -%}
    {#-
        The first `grain` ('day' or 'month') whose rows a restart can change: the UTC day
        before the restart (every local date is at most a day behind UTC), or its month.
    -#}
    {%- set day = dbt.dateadd('day', -1, dbt.cast(restart_sql, 'date')) -%}
    {%- if grain == 'month' -%}
        {{ dbt.date_trunc('month', day) }}
    {%- else -%}
        {{ dbt.cast(day, 'date') }}
    {%- endif -%}
{%- endmacro %}


{% macro is_restarted_row(alias, column, grain) -%}
    {#-
        True for the rows (of the relation aliased `alias`) of a pending user dated on or
        after the user's restart floor (`restart_floor`), `column` being the row's date or
        month; with a literal bound for all users at once when there is one.
    -#}
    {%- set bound = recorded_restart_bound() -%}
    exists (
        select 1 from {{ session_restarts_relation() }} as restarts
        where
            {{ same_user('restarts', alias) }}
            and (
                restarts.restart_at is null
                or {{ alias }}.{{ column }} >= {{ restart_floor('restarts.restart_at', grain) }}
            )
    )
    {%- if bound %}
    and {{ alias }}.{{ column }} >= {{ restart_floor(bound, grain) }}
    {%- endif %}
{%- endmacro %}


{% macro delete_restarted_rows(relation, column, grain) -%}
    {#-
        Pre-hook of the per-user marts by date (fct_user_days, fct_user_months): on an
        incremental run, deletes the pending users' rows from their restart floor on; the
        model inserts them recounted from the user's sessions of those days or months.
    -#}
    {% if is_incremental() %}
        delete from {{ relation }} as kept
        where {{ is_restarted_row('kept', column, grain) }}
    {% endif %}
{%- endmacro %}
