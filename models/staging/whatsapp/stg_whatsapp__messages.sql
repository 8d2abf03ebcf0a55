with

source as (

    select * from {{ source('whatsapp', 'whatsapp_messages') }}

),

deduplicated as (

    select
        message_id as interaction_id,
        assistant_id,
        user_id,
        message_type,
        occurred_at,
        arrival_date,
        row_number() over (
            partition by message_id, user_id, occurred_at
            order by arrival_date, source_file, line_number, record_index
        ) as occurrence
    from source

),

final as (

    select
        interaction_id,
        assistant_id,
        user_id,
        message_type,
        occurred_at,
        arrival_date
    from deduplicated
    where occurrence = 1

)

select * from final
