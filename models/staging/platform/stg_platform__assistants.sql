with

source as (

    select * from {{ source('platform', 'assistants') }}

),

final as (

    select
        assistant_id,
        name as assistant_name,
        timezone,
        whatsapp_phone_number_id
    from source

)

select * from final
