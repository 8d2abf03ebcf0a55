-- WhatsApp bodies are classified in three steps, each a temp table, so that no body is
-- parsed twice: the lines (this one), the changes of the good bodies, then every record.
-- Reads the view `lines` (sql/lines.sql).
--
-- The parts of a webhook body that its checks read, for from_json: one parse of the body
-- into its changes, each cut to the parts its checks read. Only the length of the statuses
-- and echoes lists matters (their elements, as booleans, are not read). A part of another
-- JSON type comes back null, or as a struct of nulls: a change value that is no object
-- reads like an empty one, and "messages": null like no messages at all. Those cases are
-- told apart from the line itself, and only for the bodies that may hold them.
-- (Parsing each change again from JSON text, as a second step, took a quarter longer:
-- 15.8 s against 12.8 s for bodies and changes over the 10M year.)
create or replace temp table whatsapp_bodies as
with fields as (
    -- one parse of the whole body into the parts the checks need; a part of another JSON
    -- type comes back null (entry that is no list, an entry without a list of changes)
    select
        *,
        case when is_json then from_json(line, '{"object": "VARCHAR", "entry": [{"changes": [{"field": "VARCHAR", "value": {"metadata": {"phone_number_id": "JSON"}, "messages": "JSON", "statuses": ["BOOLEAN"], "message_echoes": ["BOOLEAN"]}}]}]}') end as body
    from lines
),
checked as (
    select
        *,
        case
            when read_error is not null then read_error
            when not is_json then 'not valid JSON'
            when body.object is distinct from 'whatsapp_business_account' then case
                when json_type(line) <> 'OBJECT' then 'not a JSON object'
                else 'not a WhatsApp webhook body (object is not whatsapp_business_account)'
            end
            when body.entry is null then 'entry is not a list'
            when list_bool_or(list_transform(body.entry, lambda e: e.changes is null))
                then 'an entry has no list of changes'
        end as line_reason,
        flatten(list_transform(body.entry, lambda e: e.changes)) as all_changes
    from fields
)
select
    arrival_date, source_file, line_number, line_reason,
    case when line_reason is null then all_changes end as changes,
    -- the line again, for the rare body whose parse may hide a wrong part: a messages
    -- change with an empty value, or a "messages" key that may be null (written with a
    -- null, or with an escape the text test cannot read through)
    case when line_reason is null and list_bool_or(list_transform(all_changes, lambda c:
            c.field = 'messages' and (has_empty_value(c)
            or c.value.messages is null and (
                regexp_matches(line, '"messages"\s*:\s*null') or contains(line, '\u')
            ))
        )) then line end as line_to_recheck,
    case when line_reason is not null and is_json then case when json_type(line) = 'OBJECT'
        then json_object(
            'object', redacted(json_extract(line, '$.object')),
            'keys', json_keys(line)
        ) end end as record,
    case when line_reason is not null and line is not null then sha256(line) end as raw_sha256,
    case when line_reason is not null and line is not null then strlen(line) end as raw_bytes
from checked
