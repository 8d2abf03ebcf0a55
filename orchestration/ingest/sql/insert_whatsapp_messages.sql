insert into raw.whatsapp_messages
select message_id, assistant_id, user_id, message_type, occurred_at, arrival_date,
    source_file, line_number, record_index, now()::timestamp
from records where outcome = 'interaction'
