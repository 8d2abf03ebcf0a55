{#-
    One row per session with its local date and its place in the user's history. The dates
    of the next and next-but-one sessions feed `session_chains_daily`.

    Incremental by user (configured in dbt_project.yml), like `int_sessions`: a nightly
    run deletes and rebuilds the rows of the users in raw.pending_users only. (A change of
    an assistant's time zone queues all of its users, since their local dates change.)
-#}
with

all_sessions as (

    select * from {{ ref('int_sessions') }}

),

sessions as (

    select all_sessions.*
    from all_sessions
    {% if is_incremental() %}
        -- all their sessions: int_sessions rebuilt them from a restart on, and the next
        -- session dates of the ones before it may have changed
        where {{ is_pending_user('all_sessions') }}
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
