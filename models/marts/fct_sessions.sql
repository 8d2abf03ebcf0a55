{#-
    One row per session with its local date and its place in the user's history. The dates
    of the next and next-but-one sessions feed `session_chains_daily`.

    Incremental by user (configured in dbt_project.yml): a nightly run deletes and rebuilds
    all the rows of the users in raw.pending_users (the next session dates of their last
    sessions before the change move), but reads from int_sessions only their sessions from
    their restart on; those before it come back from this table, set aside by the pre-hook.
    (A change of an assistant's time zone queues all of its users, from the beginning,
    since their local dates change.)
-#}
with

all_sessions as (

    select * from {{ ref('int_sessions') }}

),

sessions as (

    {% if is_incremental() %}
        {%- set bound = recorded_restart_bound() %}
        -- the pending users' sessions before their restart, unchanged: as this table held
        -- them (its pre-hook kept them aside), since their next session dates may change
        select session_id, assistant_id, channel, user_id, started_at, ended_at, interaction_count
        from {{ pending_user_sessions_relation() }}
        where restart_at is not null and started_at < restart_at

        union all

        -- and from the restart on, as int_sessions rebuilt them
        select
            all_sessions.session_id,
            all_sessions.assistant_id,
            all_sessions.channel,
            all_sessions.user_id,
            all_sessions.started_at,
            all_sessions.ended_at,
            all_sessions.interaction_count
        from all_sessions
        inner join {{ session_restarts_relation() }} as restarts
            on {{ same_user('restarts', 'all_sessions') }}
        where
            {{ is_from_restart('all_sessions.started_at') }}
            {%- if bound %}
            and all_sessions.started_at >= {{ bound }}
            {%- endif %}
    {% else %}
        select * from all_sessions
    {% endif %}

),

assistants as (

    select * from {{ ref('stg_platform__assistants') }}

),

dated as (

    select
        sessions.session_id,
        sessions.assistant_id,
        sessions.channel,
        sessions.user_id,
        sessions.started_at,
        sessions.ended_at,
        sessions.interaction_count,
        {{ local_date('sessions.started_at', 'assistants.timezone') }} as session_date
    from sessions
    inner join assistants
        on sessions.assistant_id = assistants.assistant_id

),

final as (

    select
        session_id,
        assistant_id,
        channel,
        user_id,
        started_at,
        ended_at,
        interaction_count,
        session_date,
        {{ dbt.date_trunc('month', 'session_date') }} as session_month,
        row_number() over user_history as user_session_number,
        lead(session_date, 1) over user_history as next_session_date,
        lead(session_date, 2) over user_history as second_next_session_date,
        {{ build_stamp() }} as built_at
    from dated
    window user_history as (
        partition by assistant_id, channel, user_id
        order by started_at
    )

)

select * from final
