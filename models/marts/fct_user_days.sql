{#-
    One row per user and local day with sessions.

    Incremental from a restart date (dbt_project.yml): a nightly run recounts the days
    from `int_restart_point` on, from the sessions of those days.
-#}
{{ config(incremental_predicates=[rewritten_partitions('activity_date')]) }}
{%- set rewrite_from_date = rewrite_from() %}

with

all_sessions as (

    select * from {{ ref('fct_sessions') }}

),

sessions as (

    select * from all_sessions
    {% if is_incremental() %}
        where session_date >= {{ rewrite_from_date }}
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
-- in time order: a nightly's scan of the last months then skips the older row groups
order by activity_date
