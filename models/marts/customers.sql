{#-
    One row per user: lifetime first and last sessions and totals, one aggregate of
    fct_sessions.

    Incremental (dbt_project.yml): a user's row changes only when the user has a session
    in the rewritten days, now or before this build (their sessions before
    `int_restart_point` are unchanged). A nightly run aggregates those users' whole
    history again; the delete takes the same users out first, found by the incremental
    predicate when it runs: a last session in the rewritten days (the old row) or a
    rewritten session in fct_sessions. A user whose every session was erased is deleted
    and not written again.
-#}
{%- set fct_sessions_relation = unreffed_relation('marts', 'fct_sessions') %}
{{ config(incremental_predicates=[
    '(' ~ rewritten_partitions('last_session_date')
    ~ ' or (assistant_id, channel, user_id) in (select assistant_id, channel, user_id from '
    ~ fct_sessions_relation ~ ' where ' ~ rewritten_partitions('session_date') ~ '))'
]) }}
{%- set rewrite_from_date = rewrite_from() %}

with

all_sessions as (

    select * from {{ ref('fct_sessions') }}

),

{% if is_incremental() %}
changed_users as (

    select
        assistant_id,
        channel,
        user_id
    from all_sessions
    where session_date >= {{ rewrite_from_date }}

    union

    select
        assistant_id,
        channel,
        user_id
    from {{ this }}
    where last_session_date >= {{ rewrite_from_date }}

),

{% endif %}
sessions as (

    select all_sessions.*
    from all_sessions
    {%- if is_incremental() %}
        inner join changed_users
            on all_sessions.assistant_id = changed_users.assistant_id
            and all_sessions.channel = changed_users.channel
            and all_sessions.user_id = changed_users.user_id
    {%- endif %}

),

final as (

    select
        assistant_id,
        channel,
        user_id,
        min(started_at) as first_seen_at,
        max(ended_at) as last_seen_at,
        min(session_date) as first_session_date,
        max(session_date) as last_session_date,
        count(*) as lifetime_sessions,
        -- the contract's type: that of a sum, as in the per-user marts by date
        {{ dbt.cast('sum(interaction_count)', type_total()) }} as lifetime_interactions,
        {{ build_stamp() }} as built_at
    from sessions
    group by assistant_id, channel, user_id

)

select * from final
