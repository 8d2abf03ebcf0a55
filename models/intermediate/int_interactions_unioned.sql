with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

whatsapp_messages as (

    select * from {{ ref('stg_whatsapp__messages') }}

),

unioned as (

    select
        assistant_id,
        channel,
        user_id,
        interaction_id,
        occurred_at,
        arrival_date,
        loaded_at
    from web_events

    union all

    select
        assistant_id,
        channel,
        user_id,
        interaction_id,
        occurred_at,
        arrival_date,
        loaded_at
    from whatsapp_messages

)

select * from unioned
