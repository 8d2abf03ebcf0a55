{% macro retired_sessions_relation() -%}
    {#-
        intermediate.retired_sessions: the dated shape of the sessions that nightly runs
        took out of fct_sessions (their users were rebuilt), kept until session_chains_daily
        has subtracted them. Bookkeeping, like raw.pending_users: no user id, not a model.
    -#}
    intermediate.retired_sessions
{%- endmacro %}


{% macro ensure_retired_sessions() -%}
    create table if not exists {{ retired_sessions_relation() }} (
        assistant_id {{ dbt.type_string() }} not null,
        channel {{ dbt.type_string() }} not null,
        session_date date not null,
        next_session_date date,
        second_next_session_date date,
        built_at {{ dbt.type_timestamp() }} not null
    )
{%- endmacro %}


{% macro retire_pending_sessions(relation) -%}
    {#-
        Pre-hook of fct_sessions. On an incremental run, it takes out of the table the
        pending users' sessions that the build can change (see `is_retired_session`), sets
        them aside in intermediate.pending_user_sessions for the model, and logs their dated
        shape in intermediate.retired_sessions for session_chains_daily to subtract. On a
        full build the log is emptied: session_chains_daily then finds its books unbalanced
        and recounts from scratch.
    -#}
    {{ ensure_retired_sessions() }};
    {% if is_incremental() %}
        -- The rows are found once, by their key columns and two dates; their other columns
        -- are then fetched, and the rows deleted, by DuckDB's row id (a read of every column
        -- of the table to find them took four times as long at 100M).
        create or replace temp table pending_row_ids as
        select kept.rowid as row_id, restarts.restart_at
        from {{ relation }} as kept
        inner join {{ session_restarts_relation() }} as restarts
            on {{ same_user('restarts', 'kept') }}
        where {{ is_retired_session('kept', 'restarts.restart_at') }};
        -- the model takes back from here the retired sessions before each user's restart
        create or replace table {{ pending_user_sessions_relation() }} as
        select kept.*, pending_row_ids.restart_at
        from {{ relation }} as kept
        inner join pending_row_ids on kept.rowid = pending_row_ids.row_id;
        insert into {{ retired_sessions_relation() }}
        select
            assistant_id, channel, session_date, next_session_date, second_next_session_date,
            built_at
        from {{ pending_user_sessions_relation() }};
        delete from {{ relation }} where rowid in (select row_id from pending_row_ids);
        drop table pending_row_ids;
    {% else %}
        delete from {{ retired_sessions_relation() }}
    {% endif %}
{%- endmacro %}


{% macro is_retired_session(alias, restart_sql) -%}
    {#-
        SQL condition on a session of fct_sessions (aliased `alias`) of a pending user whose
        restart is `restart_sql`: true when this build can change the row. That is every
        session from the user's month floor (`restart_floor`, the first month whose rows of
        fct_user_months the restart can change) on, and the sessions before it whose next or
        next-but-one session is one of those: their next session dates can move. The older
        ones keep every column, so a user's history is read again from the last month or
        so, not from its first session. A null restart retires every session of the user.
        (The second next session date only grows along a user's history, so the retired
        sessions are the last ones of the user.)
    -#}
    (
        {{ restart_sql }} is null
        or {{ alias }}.second_next_session_date is null
        or {{ alias }}.second_next_session_date >= {{ restart_floor(restart_sql, 'month') }}
    )
{%- endmacro %}


{% macro pending_user_sessions_relation() -%}
    {#-
        intermediate.pending_user_sessions: the rows fct_sessions retired for the pending
        users when its incremental run began, with each user's restart. Written by its
        pre-hook, dropped by its post-hook (same transaction): it holds user ids only while
        the model runs.
    -#}
    intermediate.pending_user_sessions
{%- endmacro %}


{% macro drop_pending_user_sessions() -%}
    drop table if exists {{ pending_user_sessions_relation() }}
{%- endmacro %}


{% macro get_incremental_replace_sql(arg_dict) -%}
    {#-
        Incremental strategy `replace`: the model computes its whole new content from its
        previous content (`{{ this }}`) and what changed, and that content replaces the
        table's in the same transaction. For a small table maintained by difference, where
        reading the changes is what costs.
    -#}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ arg_dict['target_relation'] }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
