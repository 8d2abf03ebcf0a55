{#-
    One row per session with its local date and its place in the user's history. The dates
    of the next and next-but-one sessions feed `session_chains_daily`.

    Incremental by user (configured in dbt_project.yml): a nightly run rebuilds, for each
    user in raw.pending_users, the sessions the change can reach: those from about a month
    before the user's restart on, and the one or two before them whose next session dates
    move (the pre-hook takes them out of the table: see `is_retired_session`). Among them,
    it reads from int_sessions only the sessions from the restart on; the earlier ones come
    back from this table, as the pre-hook set them aside. The user's older sessions stay as
    they are: they are counted, not read again. (A change of an assistant's time zone
    queues all of its users, from the beginning, since their local dates change.)
-#}
with

all_sessions as (

    select * from {{ ref('int_sessions') }}

),

{% if is_incremental() %}
retired as (

    -- the pending users' sessions the pre-hook took out of this table, with their restart
    select * from {{ pending_user_sessions_relation() }}

),

kept as (

    -- per pending user, how many sessions and interactions precede the retired ones (the
    -- user's sessions still in this table): the rebuilt ones are numbered on from there
    select
        assistant_id,
        channel,
        user_id,
        min(user_session_number) - 1 as sessions_before,
        min(interactions_to_date - interaction_count) as interactions_before
    from retired
    group by assistant_id, channel, user_id

),

{% endif %}
sessions as (

    {% if is_incremental() %}
        {%- set bound = recorded_restart_bound() %}
        -- the retired sessions before the user's restart, unchanged but for their place in
        -- the history and the dates of the sessions after them
        select
            retired.session_id,
            retired.assistant_id,
            retired.channel,
            retired.user_id,
            retired.started_at,
            retired.ended_at,
            retired.interaction_count,
            kept.sessions_before,
            kept.interactions_before
        from retired
        inner join kept
            on {{ same_user('kept', 'retired') }}
        where retired.restart_at is not null and retired.started_at < retired.restart_at

        union all

        -- and from the restart on, as int_sessions rebuilt them
        select
            all_sessions.session_id,
            all_sessions.assistant_id,
            all_sessions.channel,
            all_sessions.user_id,
            all_sessions.started_at,
            all_sessions.ended_at,
            all_sessions.interaction_count,
            coalesce(kept.sessions_before, 0) as sessions_before,
            coalesce(kept.interactions_before, 0) as interactions_before
        from all_sessions
        inner join {{ session_restarts_relation() }} as restarts
            on {{ same_user('restarts', 'all_sessions') }}
        left join kept
            on {{ same_user('kept', 'all_sessions') }}
        where
            {{ is_from_restart('all_sessions.started_at') }}
            {%- if bound %}
            and all_sessions.started_at >= {{ bound }}
            {%- endif %}
    {% else %}
        select
            session_id,
            assistant_id,
            channel,
            user_id,
            started_at,
            ended_at,
            interaction_count,
            0 as sessions_before,
            0 as interactions_before
        from all_sessions
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
        sessions.sessions_before,
        sessions.interactions_before,
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
        sessions_before + row_number() over user_history as user_session_number,
        {{ dbt.cast(
            'interactions_before + sum(interaction_count) over ('
            ~ 'user_history rows between unbounded preceding and current row)',
            dbt.type_bigint()
        ) }} as interactions_to_date,
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
