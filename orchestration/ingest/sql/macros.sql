-- The checks that both channels (or several statements) make, as temporary macros. DuckDB
-- expands a macro where it is called, so a check costs what the expression it stands for does.

-- A blank line is no record (null: the line is empty).
create or replace temp macro is_blank(line) as regexp_full_match(line, '[ \t]*');

-- The JSON value is a non-empty text (false, never null, when it is missing). A value from
-- json_extract is written without leading space, so it is a text exactly when it starts
-- with a double quote, and "" is the empty text: two string tests where json_type would
-- parse the value again (a tenth of the web classification's time).
create or replace temp macro is_text(value) as
coalesce(starts_with(value::varchar, '"') and strlen(value::varchar) > 2, false);

-- Why a parsed timestamp cannot be an interaction's of that arrival day, or null.
create or replace temp macro timestamp_reason(occurred_at, arrival_date) as
case
    when occurred_at < timestamp '2000-01-01' then 'timestamp before 2000'
    when occurred_at > arrival_date + interval 2 day
        then 'timestamp more than one day after the end of the arrival day'
end;

-- A JSON value as the quarantine keeps it: a text (cut to 200 characters), anything else
-- by the name of its type.
create or replace temp macro redacted(value) as
case
    when value is null then null
    when json_type(value) = 'VARCHAR' then left(value ->> '$', 200)
    else '<' || json_type(value) || '>'
end;

-- A web record that is an interaction: a `track` of a message the user sent.
create or replace temp macro is_web_interaction(event_type, event_name) as
event_type = 'track' and event_name = 'Chat Message Sent';

-- A WhatsApp change whose value parts all came back null from the body's parse (no
-- object, or none of the parts).
create or replace temp macro has_empty_value(change) as
change.value.metadata is null and change.value.messages is null
and change.value.statuses is null and change.value.message_echoes is null;
