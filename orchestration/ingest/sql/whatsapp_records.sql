-- Every WhatsApp record: a line that did not parse into a webhook body, a change that
-- holds no user message, or a user message (an interaction, a skipped non-interaction, or
-- quarantined). Binds the HMAC pads: the phone number is never written, not even to a
-- temp table.
create or replace temp table records as
with message_rows as (
    select
        arrival_date, source_file, line_number, change_index, phone_number_id,
        unnest(messages) as message, generate_subscripts(messages, 1) as message_index
    from whatsapp_changes
    where change_field = 'messages'
),
message_fields as (
    select
        m.*,
        json_extract(message, ['$.id', '$.from', '$.from_user_id', '$.timestamp', '$.type'])
            as f,
        assistants.assistant_id
    from message_rows as m
    left join raw.assistants as assistants
        on assistants.whatsapp_phone_number_id = m.phone_number_id
),
message_typed as (
    select
        *,
        f[1] as id_value, f[2] as from_value, f[3] as user_id_value,
        f[4] as timestamp_value, f[5] as type_value,
        case when regexp_full_match(coalesce(f[4] ->> '$', ''), '[0-9]{1,12}')
            and json_type(f[4]) = 'VARCHAR'
            then make_timestamp((f[4] ->> '$')::bigint * 1000000) end as occurred_at
    from message_fields
),
message_classified as (
    select
        *,
        case
            when json_type(message) <> 'OBJECT' then 'message is not a JSON object'
            when not is_text(id_value) then 'missing or non-text field: id'
            when not (is_text(from_value) or is_text(user_id_value))
                then 'missing or non-text field: from (and no from_user_id)'
            when not is_text(type_value) then 'missing or non-text field: type'
            when not is_text(timestamp_value) then 'missing or non-text field: timestamp'
            when occurred_at is null then 'timestamp is not Unix seconds'
            else coalesce(
                timestamp_reason(occurred_at, arrival_date),
                case when assistant_id is null then 'unknown phone_number_id' end
            )
        end as reason
    from message_typed
)
-- lines that did not parse into a webhook body: one quarantined record each
select
    arrival_date, source_file, line_number, 0 as record_index, 1::bigint as record_count,
    'quarantined' as outcome, line_reason as reason, record, raw_sha256, raw_bytes,
    null as assistant_id, null as user_id, null as message_id, null as message_type,
    null::timestamp as occurred_at
from whatsapp_bodies
where line_reason is not null
union all
-- bodies without any change: one skipped record
select
    arrival_date, source_file, line_number, 0, 1, 'skipped', null, null, null, null,
    null, null, null, null, null
from whatsapp_bodies
where line_reason is null and len(changes) = 0
union all
-- changes that are not user messages (statuses, echoes, account and template events)
select
    arrival_date, source_file, line_number, change_index * 100000, case
        when change_field = 'messages' and len(messages) > 0 then other_items
        else greatest(other_items, 1)
    end, case when change_reason is null then 'skipped' else 'quarantined' end, change_reason,
    null, null, null, null, null, null, null, null
from whatsapp_changes
where change_field is distinct from 'messages' or other_items > 0 or len(messages) = 0
union all
-- every user message: an interaction, a skipped non-interaction, or quarantined
select
    arrival_date, source_file, line_number, change_index * 100000 + message_index, 1,
    case
        when reason is not null then 'quarantined'
        when type_value ->> '$' in ('system', 'request_welcome') then 'skipped'
        else 'interaction'
    end,
    reason,
    case when reason is not null then json_object(
        'id', redacted(id_value),
        'timestamp', redacted(timestamp_value),
        'type', redacted(type_value),
        'phone_number_id', left(phone_number_id, 64),
        'has_from', from_value is not null,
        'has_from_user_id', user_id_value is not null
    ) end,
    null, null,
    case when reason is null then assistant_id end,
    case when reason is null then {{ pseudonym_of_user }} end,
    case when reason is null then id_value ->> '$' end,
    case when reason is null then type_value ->> '$' end,
    case when reason is null then occurred_at end
from message_classified
