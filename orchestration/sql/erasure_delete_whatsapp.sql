-- `chatwh forget` of a WhatsApp person: their interactions deleted from raw.
-- Bound: $user_id (the wa_id's pseudonym).
delete from raw.whatsapp_messages
where user_id = $user_id
