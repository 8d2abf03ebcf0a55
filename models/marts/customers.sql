{#-
    One row per user: lifetime first and last sessions and totals.

    Incremental by user (configured in dbt_project.yml): a nightly run rebuilds the rows of
    the users in raw.pending_users only, from the sessions fct_sessions rebuilt for them
    (their latest ones) and their previous row, which the pre-hook set aside: the latest
    session carries the user's lifetime sessions and interactions (`user_session_number`,
    `interactions_to_date`), and the user's first session, when it was not rebuilt, is
    where the previous row says it was.
-#}
with

all_sessions as (

    select * from {{ ref('fct_sessions') }}

),

sessions as (

    select all_sessions.*
    from all_sessions
    {% if is_incremental() %}
        where {{ rebuilt_since_last_build_of_this('all_sessions') }}
    {% endif %}

),

per_user as (

    select
        assistant_id,
        channel,
        user_id,
        min(user_session_number) as first_session_number,
        min(started_at) as first_started_at,
        max(ended_at) as last_seen_at,
        min(session_date) as first_rebuilt_session_date,
        max(session_date) as last_session_date,
        max(user_session_number) as lifetime_sessions,
        -- the contract's type: that of a sum, as in the per-user marts by date
        {{ dbt.cast('max(interactions_to_date)', 'hugeint') }} as lifetime_interactions
    from sessions
    group by assistant_id, channel, user_id

),

previous as (

    -- the pending users' previous rows, which the pre-hook set aside (a full build has
    -- none: it rebuilds every user's first session)
    {% if is_incremental() %}
        select * from {{ pending_customers_relation() }}
    {% else %}
        select
            assistant_id,
            channel,
            user_id,
            first_started_at as first_seen_at,
            first_rebuilt_session_date as first_session_date
        from per_user
        where false
    {% endif %}

),

final as (

    select
        per_user.assistant_id,
        per_user.channel,
        per_user.user_id,
        -- a user whose first session was not rebuilt: as the previous row has it
        case
            when per_user.first_session_number > 1 then previous.first_seen_at
            else per_user.first_started_at
        end as first_seen_at,
        per_user.last_seen_at,
        case
            when per_user.first_session_number > 1 then previous.first_session_date
            else per_user.first_rebuilt_session_date
        end as first_session_date,
        per_user.last_session_date,
        per_user.lifetime_sessions,
        per_user.lifetime_interactions,
        {{ build_stamp() }} as built_at
    from per_user
    left join previous
        on {{ same_user('previous', 'per_user') }}

)

select * from final
