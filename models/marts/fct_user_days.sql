{#-
    One row per user and local day with sessions.

    Incremental by user and day (configured in dbt_project.yml): a nightly run deletes
    and recounts the rows of the users in raw.pending_users from the day before their
    restart (see `restart_floor`) on; their older days cannot have changed.
-#}
with

all_sessions as (

    select * from {{ ref('fct_sessions') }}

),

sessions as (

    select all_sessions.*
    from all_sessions
    {% if is_incremental() %}
        where
            {{ rebuilt_since_last_build_of_this('all_sessions') }}
            and {{ is_restarted_row('all_sessions', 'session_date', 'day') }}
    {% endif %}

),

final as (

    select
        assistant_id,
        channel,
        user_id,
        session_date as activity_date,
        count(*) as sessions,
        sum(interaction_count) as interactions,
        {{ build_stamp() }} as built_at
    from sessions
    group by assistant_id, channel, user_id, session_date

)

select * from final
{% if not is_incremental() %}
    -- in time order: a nightly's scan of the last days then skips the older row groups
    order by activity_date
{% endif %}
