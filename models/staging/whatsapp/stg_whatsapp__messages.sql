{#-
    Renaming and typing only. The raw table already holds each interaction once: ingest
    de-duplicates every load against the whole history (and within the load) on message id,
    user and timestamp, keeping the first delivery.
-#}
with

source as (

    select * from {{ source('whatsapp', 'whatsapp_messages') }}

),

final as (

    select
        message_id as interaction_id,
        'whatsapp' as channel,
        assistant_id,
        user_id,
        message_type,
        occurred_at,
        arrival_date,
        loaded_at
    from source

)

select * from final
