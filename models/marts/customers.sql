{#-
    One row per user: lifetime first and last sessions and totals, one aggregate of
    fct_sessions (rebuilt every run: a user's row depends on the whole history, and the
    aggregate costs less than finding the users a nightly changed).
-#}
with

sessions as (

    select * from {{ ref('fct_sessions') }}

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
