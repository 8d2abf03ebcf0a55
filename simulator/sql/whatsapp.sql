-- Append the block's WhatsApp lines to `pending`: webhook POST bodies as JSON text, one
-- fragment (a message or a status, with the JSON that opens or closes its change, entry and
-- body around it) per delivery; a body's line is its fragments in `part` order. Reads the
-- frames sessions, wa_fragments and wa_deliveries (simulator/whatsapp.py,
-- simulator/faults.py); the macros are in macros.sql.

insert into pending
with whatsapp_sessions as (
    select
        sess,
        a,
        seeded_md5($seed, 'v', uid) as conversation_id,
        pick($display_phones, a) as display_phone,
        pick($phone_ids, a) as phone_id,
        pick($waba_ids, a) as waba_id,
        concat(
            if(bsuid_only, '', concat('"from":"', wa_id::varchar, '",')),
            if(shows_bsuid, concat('"from_user_id":"US.', bsuid::varchar, '",'), '')
        ) as sender,
        if(
            bsuid_only,
            concat('"recipient_user_id":"US.', bsuid::varchar, '"'),
            concat('"recipient_id":"', wa_id::varchar, '"')
        ) as recipient,
        concat(
            '{"profile":{"name":',
            to_json(concat(pick($first_names, first_name), ' ', pick($last_names, last_name))),
            if(bsuid_only, concat(
                ',"username":"', lower(strip_accents(pick($first_names, first_name))),
                '.', (u % 1000)::varchar, '"'
            ), ''),
            '}',
            if(bsuid_only, '', concat(',"wa_id":"', wa_id::varchar, '"')),
            if(shows_bsuid, concat(',"user_id":"US.', bsuid::varchar, '"'), ''),
            '}'
        ) as contact
    from sessions
    where whatsapp
),

joined as (
    select
        d.dt,
        d.file,
        d.arrival,
        d.seq,
        f.part,
        f.defect,
        f.uid,
        f.t,
        f.text,
        f.code,
        f.reply_to,
        f.status,
        f.opens_body,
        f.opens_entry,
        f.opens_change,
        f.closes_change,
        f.closes_entry,
        f.closes_body,
        f.kind = 0 as is_message,  -- else a status
        pick($wa_types, f.mtype) as wa_type,
        pick($statuses, f.status) as status_name,
        pick($defects, f.defect) as defect_name,
        s.*
    from wa_deliveries as d
    inner join wa_fragments as f on d.unit = f.body
    inner join whatsapp_sessions as s on f.sess = s.sess
),

items as (
    select
        *,
        -- Computed only where used: these are the costly texts.
        case when opens_change then concat(
            '{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"',
            display_phone,
            '","phone_number_id":"',
            if(defect_name = 'unknown phone', $unknown_phone, phone_id),
            '"},',
            if(is_message, concat('"contacts":[', contact, '],"messages":['), '"statuses":[')
        ) end as change_head,
        case when is_message then case
            when wa_type = 'text'
                then concat(
                    '"type":"text","text":{"body":', to_json(say($user_texts, text, code)), '}'
                )
            when wa_type = 'image'
                then concat(
                    '"type":"image","image":{"mime_type":"image/jpeg', media_fields($seed, uid), '}'
                )
            when wa_type = 'audio'
                then concat(
                    '"type":"audio","audio":{"mime_type":"audio/ogg; codecs=opus',
                    media_fields($seed, uid), ',"voice":true}'
                )
            when wa_type = 'sticker'
                then concat(
                    '"type":"sticker","sticker":{"mime_type":"image/webp',
                    media_fields($seed, uid), ',"animated":false}'
                )
            when wa_type in ('button_reply', 'list_reply')
                then concat(
                    reply_context($seed, uid, display_phone),
                    '"type":"interactive","interactive":{"type":"', wa_type, '","', wa_type, '":',
                    '{"id":"', if(wa_type = 'button_reply', 'opt_', 'row_'), (text % 4)::varchar,
                    '","title":', to_json(pick($titles, text)),
                    if(wa_type = 'list_reply', ',"description":"Choose one option"', ''),
                    '}}'
                )
            when wa_type = 'button'
                then concat(
                    reply_context($seed, uid, display_phone),
                    '"type":"button","button":{"payload":"menu_', code::varchar,
                    '","text":', to_json(pick($titles, text)), '}'
                )
            when wa_type = 'reaction'
                then concat(
                    '"type":"reaction","reaction":{"message_id":"', wamid($seed, 'c', uid),
                    '","emoji":"', pick($emojis, text), '"}'
                )
            when wa_type = 'location'
                then concat(
                    '"type":"location","location":{"latitude":',
                    printf('%.6f', code % 140000 / 1000.0 - 70.0),
                    ',"longitude":', printf('%.6f', code * 7 % 340000 / 1000.0 - 170.0), '}'
                )
            when wa_type = 'unsupported'
                then concat(
                    '"type":"unsupported","errors":[{"code":131051,"title":"Message type unknown",',
                    '"message":"Message type unknown",',
                    '"error_data":{"details":"Message type is currently not supported."}}]'
                )
            else '"type":"request_welcome"'
        end end as message_fields
    from joined
),

rendered as (  -- the columns of `pending`, then what spoils a bad line
    select
        1 as channel,
        dt,
        file,
        arrival,
        seq,
        part,
        defect,
        closes_body as ends_line,
        concat(
            if(opens_body, '{"object":"whatsapp_business_account","entry":[', ''),
            if(opens_entry, concat(
                if(opens_body, '', ','), '{"id":"', waba_id, '","changes":['
            ), ''),
            if(opens_change, concat(if(opens_entry, '', ','), change_head), ','),
            if(
                is_message,
                concat(
                    '{', sender, '"id":"', wamid($seed, 'm', uid),
                    '","timestamp":"', (t // 1000)::varchar, '",', message_fields, '}'
                ),
                concat(
                    '{"id":"', wamid($seed, 'r', reply_to),
                    '","status":"', status_name,
                    '","timestamp":"', (t // 1000)::varchar, '",',
                    recipient,
                    if(status_name <> 'read', concat(
                        ',"conversation":{"id":"', conversation_id,
                        '","origin":{"type":"service"}},',
                        '"pricing":{"billable":true,"pricing_model":"CBP","category":"service"}'
                    ), ''),
                    '}'
                )
            ),
            if(closes_change, ']},"field":"messages"}', ''),
            if(closes_entry, ']}', ''),
            if(closes_body, ']}', '')
        ) as line,
        defect_name,
        uid
    from items
)

select
    * exclude (defect_name, uid) replace (
        concat(spoilt(line, defect_name, pick($garbage, uid)), if(ends_line, chr(10), '')) as line
    )
from rendered
