{#-
    Sessions of every user: its interactions in time order, split wherever two consecutive
    ones are more than `session_timeout_minutes` apart (strictly more).

    Incremental by user and time: a nightly run re-sessionizes only the users listed in
    raw.pending_users (users with new, re-loaded or erased interactions), and each of them only
    from a restart: the start of their earliest session that the change can reach, or the
    earliest changed interaction (see the macro session_restarts_sql). The pre-hooks record
    the restarts and delete the sessions from them on (configured in dbt_project.yml). A late
    interaction can merge two sessions or start one before the others: the restart is before
    both, so the result equals a full rebuild whatever the order of arrival, while the
    interactions read are those of the last days, not of the whole history.
-#}
with

interactions as (

    select * from {{ ref('int_interactions_unioned') }}

),

interactions_to_sessionize as (

    select interactions.*
    from interactions
    {% if is_incremental() %}
        {%- set bound = restarted_interactions_bound() %}
        inner join {{ session_restarts_relation() }} as restarts
            on {{ same_user('restarts', 'interactions') }}
        where
            {{ is_from_restart('interactions.occurred_at') }}
            {%- if bound %}
            and interactions.occurred_at >= {{ bound }}
            {%- endif %}
    {% endif %}

),

with_previous as (

    select
        assistant_id,
        channel,
        user_id,
        interaction_id,
        occurred_at,
        lag(occurred_at) over (
            partition by assistant_id, channel, user_id
            order by occurred_at, interaction_id
        ) as previous_occurred_at
    from interactions_to_sessionize

),

flagged as (

    select
        *,
        case
            when previous_occurred_at is null then 1
            when occurred_at > {{ dbt.dateadd(
                'minute', var('session_timeout_minutes'), 'previous_occurred_at'
            ) }} then 1
            else 0
        end as is_session_start
    from with_previous

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by assistant_id, channel, user_id
            order by occurred_at, interaction_id
            rows between unbounded preceding and current row
        ) as user_session_number
    from flagged

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'assistant_id', "'|'", 'channel', "'|'", 'user_id', "'|'",
            dbt.cast('min(occurred_at)', dbt.type_string())
        ])) }} as session_id,
        assistant_id,
        channel,
        user_id,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as interaction_count,
        {{ build_stamp() }} as built_at
    from numbered
    group by assistant_id, channel, user_id, user_session_number

)

select * from final
{% if not is_incremental() %}
    -- in time order: a nightly's scan of the last days then skips the older row groups
    order by started_at
{% endif %}
