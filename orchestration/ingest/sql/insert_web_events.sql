insert into raw.web_events
select message_id, assistant_id, user_id, event_name, occurred_at, arrival_date,
    source_file, line_number, now()::timestamp, message_key
from records where outcome = 'interaction'
