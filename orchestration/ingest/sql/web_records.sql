-- Every web line as one record: an interaction, a skipped event, or quarantined with a
-- reason. Reads the view `lines` (sql/lines.sql).
create or replace temp table records as
with fields as (
    select
        *,
        -- one parse per line; paths of a document that is no object come back null
        case when is_json then json_extract(line, [
            '$.type', '$.event', '$.messageId', '$.anonymousId', '$.timestamp',
            '$.properties.assistant_id'
        ]) end as f
    from lines
),
named as (
    select
        arrival_date, source_file, line_number, line, read_error, is_json,
        f[1] as type_value, f[2] as event_value, f[3] as message_value,
        f[4] as anonymous_value, f[5] as timestamp_value, f[6] as assistant_value
    from fields
),
typed as (
    select
        *,
        type_value ->> '$' as event_type,
        event_value ->> '$' as event_name,
        message_value ->> '$' as message_id,
        anonymous_value ->> '$' as anonymous_id,
        timestamp_value ->> '$' as timestamp_text,
        assistant_value ->> '$' as assistant_id,
        case
            -- a date, a time and an offset: "2026-01-05" alone is no timestamp (its "-05"
            -- would pass for an offset)
            when regexp_full_match(timestamp_value ->> '$', '[0-9]{4}-[0-9]{2}-[0-9]{2}'
                || '[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?'
                || '(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)')
                then try_cast(timestamp_value ->> '$' as timestamptz) at time zone 'UTC'
        end as occurred_at
    from named
),
classified as (
    select
        typed.*,
        assistants.assistant_id is not null as is_known_assistant,
        case
            when read_error is not null then read_error
            when not is_json then 'not valid JSON'
            -- (nested cases: the document is parsed again only for the lines that fail)
            when case when type_value is null then json_type(line) <> 'OBJECT' end
                then 'not a JSON object'
            when not is_text(type_value) then 'missing or non-text field: type'
            when event_type <> 'track' then null
            when not is_text(event_value) then 'missing or non-text field: event'
            when not is_text(message_value) then 'missing or non-text field: messageId'
            when not is_text(anonymous_value) then 'missing or non-text field: anonymousId'
            when not is_text(timestamp_value) then 'missing or non-text field: timestamp'
            when not is_text(assistant_value)
                then 'missing or non-text field: properties.assistant_id'
            when occurred_at is null then 'timestamp does not parse (ISO-8601 with offset needed)'
            else coalesce(
                timestamp_reason(occurred_at, arrival_date),
                case when assistants.assistant_id is null then 'unknown assistant_id' end
            )
        end as reason
    from typed
    left join raw.assistants as assistants
        on assistants.assistant_id = typed.assistant_value ->> '$'
)
select
    arrival_date,
    source_file,
    line_number,
    0 as record_index,
    1::bigint as record_count,
    case
        when reason is not null then 'quarantined'
        when is_web_interaction(event_type, event_name) then 'interaction'
        else 'skipped'
    end as outcome,
    reason,
    case when reason is not null and is_json then case when json_type(line) = 'OBJECT'
        then json_object(
        'type', redacted(type_value),
        'event', redacted(event_value),
        'messageId', redacted(message_value),
        'anonymousId', redacted(anonymous_value),
        'timestamp', redacted(timestamp_value),
        'assistant_id', redacted(assistant_value)
    ) end end as record,
    case when reason is not null and line is not null then sha256(line) end as raw_sha256,
    case when reason is not null and line is not null then strlen(line) end as raw_bytes,
    case when reason is null then assistant_id end as assistant_id,
    case when reason is null then anonymous_id end as user_id,
    case when reason is null then message_id end as message_id,
    case when reason is null then event_name end as event_name,
    case when reason is null then occurred_at end as occurred_at,
    -- an interaction's key in raw.web_events, computed here once, on both cores
    case when reason is null and is_web_interaction(event_type, event_name)
        then {{ message_key }} end as message_key
from classified
