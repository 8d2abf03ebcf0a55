{#-
    One row per user and local month with sessions.

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
        session_month as activity_month,
        count(*) as sessions,
        sum(interaction_count) as interactions,
        {{ build_stamp() }} as built_at
    from sessions
    group by assistant_id, channel, user_id, session_month

)

select * from final
