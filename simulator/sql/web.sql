-- Append the block's web lines to `pending`: one Segment event (page, identify or track) as
-- JSON text per delivery. Reads the frames sessions, web_rows and web_deliveries
-- (simulator/web.py, simulator/faults.py); the macros are in macros.sql.

insert into pending
with web_sessions as (
    select
        sess,
        seeded_uuid($seed, 'a', u) as anonymous_id,
        seeded_uuid($seed, 'v', uid) as conversation_id,
        pick($assistant_ids, a) as assistant_id,
        concat(
            ',"name":"Help Center","properties":{"path":"/help","url":"https://',
            pick($hosts, a),
            '/help","title":"Help Center"}'
        ) as page_body,
        concat(
            ',"userId":"cust_', left(seeded_md5($seed, 'c', u), 12),
            '","traits":{"plan":"', if(u % 3 = 0, 'pro', 'free'), '"}'
        ) as identify_body,
        concat(
            ',"context":{"ip":"',
            list_extract(['192.0.2.', '198.51.100.', '203.0.113.'], u % 3 + 1),
            (u // 3 % 254 + 1)::varchar,
            '","userAgent":"', pick($agents, u),
            '","library":{"name":"analytics.js","version":"4.1.0"}}'
        ) as context
    from sessions
    where not whatsapp
),

joined as (
    select
        d.dt,
        d.file,
        d.arrival,
        d.seq,
        d.received,
        w.t,
        w.time_format,
        w.utc_offset,
        w.text,
        w.code,
        w.uid,
        w.defect,
        pick($events, w.event) as event_name,
        pick($defects, w.defect) as defect_name,
        s.*
    from web_deliveries as d
    inner join web_rows as w on d.unit = w.unit
    inner join web_sessions as s on w.sess = s.sess
),

fields as (
    select
        *,
        case
            when defect_name = 'naive timestamp' then iso_seconds(t)
            when time_format = 1
                then concat(  -- the assistant's local time with its offset
                    iso_millis(t + utc_offset * 1000),
                    if(utc_offset < 0, '-', '+'),
                    printf('%02d:%02d', abs(utc_offset) // 3600, abs(utc_offset) % 3600 // 60)
                )
            when time_format = 2 then concat(iso_seconds(t), 'Z')
            else concat(iso_millis(t), 'Z')
        end as timestamp_text,
        case event_name
            when 'Chat Message Sent' then concat(',"text":', to_json(say($user_texts, text, code)))
            when 'Chat Message Received'
                then
                    concat(',"text":', to_json(say($bot_texts, text, code)))
            else ''
        end as text_field
    from joined
),

rendered as (  -- the columns of `pending`, then what spoils a bad line
    select
        0 as channel,
        dt,
        file,
        arrival,
        seq,
        0 as part,
        defect,
        true as ends_line,
        concat(
            '{"type":"',
            case event_name
                when 'page' then 'page' when 'identify' then 'identify' else 'track'
            end,
            '"',
            if(
                defect_name = 'no message id', '',
                concat(',"messageId":"', seeded_uuid($seed, 'e', uid), '"')
            ),
            if(defect_name = 'no anonymous id', '', concat(',"anonymousId":"', anonymous_id, '"')),
            ',"timestamp":"', timestamp_text, '"',
            case event_name
                when 'page' then page_body
                when 'identify' then identify_body
                else concat(
                    ',"event":"', event_name,
                    '","properties":{"assistant_id":"',
                    if(defect_name = 'unknown assistant', $unknown_assistant, assistant_id),
                    '","conversation_id":"', conversation_id, '"',
                    text_field,
                    '}'
                )
            end,
            context,
            ',"receivedAt":"', iso_millis(received), 'Z"}'
        ) as line,
        defect_name,
        uid
    from fields
)

select
    * exclude (defect_name, uid) replace (
        concat(spoilt(line, defect_name, pick($garbage, uid)), chr(10)) as line
    )
from rendered
