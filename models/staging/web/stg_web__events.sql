with

source as (

    select * from {{ source('web', 'web_events') }}

),

deduplicated as (

    select
        message_id as interaction_id,
        assistant_id,
        anonymous_id as user_id,
        occurred_at,
        arrival_date,
        row_number() over (
            partition by message_id
            order by arrival_date, source_file, line_number
        ) as occurrence
    from source

),

final as (

    select
        interaction_id,
        assistant_id,
        user_id,
        occurred_at,
        arrival_date
    from deduplicated
    where occurrence = 1

)

select * from final
