with

assistants as (

    select * from {{ ref('stg_platform__assistants') }}

),

final as (

    select
        assistant_id,
        assistant_name,
        timezone,
        whatsapp_phone_number_id is not null as has_whatsapp
    from assistants

)

select * from final
