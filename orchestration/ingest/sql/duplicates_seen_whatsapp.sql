-- A WhatsApp interaction already in raw: the same id, user and time.
update records as r set outcome = 'duplicate'
where r.outcome = 'interaction' and exists (
    select 1 from raw.whatsapp_messages as h
    where h.message_id = r.message_id and h.user_id = r.user_id
        and h.occurred_at = r.occurred_at
)
