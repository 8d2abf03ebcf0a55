{#-
    One row per user and local month with sessions.

    Incremental by month (dbt_project.yml): a nightly run recounts the months from the one
    of `int_restart_point`'s date on, from the sessions of those months.
-#}
{{ config(incremental_predicates=[rewritten_partitions('activity_month', 'month')]) }}
{%- set from_month = rewrite_from('month') %}

with

all_sessions as (

    select * from {{ ref('fct_sessions') }}

),

sessions as (

    select * from all_sessions
    {% if is_incremental() %}
        where session_month >= {{ from_month }}
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
-- in time order: a nightly's scan of the last months then skips the older row groups
order by activity_month
