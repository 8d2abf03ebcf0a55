{#-
    One row per user: lifetime first and last sessions and totals.

    Incremental by user (configured in dbt_project.yml), like `int_sessions`: a nightly
    run deletes and rebuilds the rows of the users in raw.pending_users only.
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
        sum(interaction_count) as lifetime_interactions,
        {{ build_stamp() }} as built_at
    from sessions
    group by assistant_id, channel, user_id

)

select * from final
