with

sessions as (

    select * from {{ ref('fct_sessions') }}

),

final as (

    select
        assistant_id,
        channel,
        user_id,
        session_date as activity_date,
        count(*) as sessions,
        sum(interaction_count) as interactions
    from sessions
    group by assistant_id, channel, user_id, session_date

)

select * from final
