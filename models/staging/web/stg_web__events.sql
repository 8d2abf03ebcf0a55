{#-
    Renaming and typing only. The raw table already holds each interaction once: ingest
    de-duplicates every load against the whole history (and within the load), keeping the
    first delivery, so no window over the history is needed here.
-#}
with

source as (

    select * from {{ source('web', 'web_events') }}

),

final as (

    select
        message_id as interaction_id,
        'web' as channel,
        assistant_id,
        anonymous_id as user_id,
        occurred_at,
        arrival_date,
        loaded_at
    from source

)

select * from final
