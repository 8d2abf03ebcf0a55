{#-
    One row per session, with the dates of the user's previous two sessions, which feed
    `session_chains_daily`. Sessions of an assistant no longer in the assistants list are
    left out (int_sessions has none).

    Incremental from a restart date (dbt_project.yml): a nightly run replaces the sessions
    dated from `int_restart_point` on with int_sessions' sessions of those days. A row
    depends on the user's earlier sessions only, so the earlier days need no change: the
    first rewritten sessions of a user take their previous dates from the user's last two
    kept sessions.
-#}
{{ config(incremental_predicates=[rewritten_partitions('session_date')]) }}
{%- set rewrite_from_date = rewrite_from() %}

with

all_sessions as (

    select * from {{ ref('int_sessions') }}

),

rewritten as (

    select
        session_id,
        assistant_id,
        channel,
        user_id,
        started_at,
        ended_at,
        interaction_count,
        session_date,
        session_month,
        true as is_rewritten
    from all_sessions
    {% if is_incremental() %}
        where session_date >= {{ rewrite_from_date }}
    {% endif %}

),

{% if is_incremental() %}
kept_ranked as (

    -- the sessions before the rewritten days of each user who has rewritten ones, the
    -- latest first
    select
        kept_sessions.session_id,
        kept_sessions.assistant_id,
        kept_sessions.channel,
        kept_sessions.user_id,
        kept_sessions.started_at,
        kept_sessions.ended_at,
        kept_sessions.interaction_count,
        kept_sessions.session_date,
        kept_sessions.session_month,
        row_number() over (
            partition by kept_sessions.assistant_id, kept_sessions.channel, kept_sessions.user_id
            order by kept_sessions.started_at desc
        ) as recency
    from {{ this }} as kept_sessions
    where
        kept_sessions.session_date < {{ rewrite_from_date }}
        and exists (
            select 1 from rewritten
            where
                rewritten.assistant_id = kept_sessions.assistant_id
                and rewritten.channel = kept_sessions.channel
                and rewritten.user_id = kept_sessions.user_id
        )

),

kept as (

    -- the last two of them
    select
        session_id,
        assistant_id,
        channel,
        user_id,
        started_at,
        ended_at,
        interaction_count,
        session_date,
        session_month,
        false as is_rewritten
    from kept_ranked
    where recency <= 2

),

{% endif %}
sessions as (

    select * from rewritten
    {% if is_incremental() %}
        union all
        select * from kept
    {% endif %}

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
        session_month,
        is_rewritten,
        lag(session_date, 1) over user_history as previous_session_date,
        lag(session_date, 2) over user_history as second_previous_session_date
    from sessions
    window user_history as (
        partition by assistant_id, channel, user_id
        order by started_at
    )

)

select
    session_id,
    assistant_id,
    channel,
    user_id,
    started_at,
    ended_at,
    interaction_count,
    session_date,
    session_month,
    previous_session_date,
    second_previous_session_date,
    {{ build_stamp() }} as built_at
from final
where is_rewritten
order by started_at
