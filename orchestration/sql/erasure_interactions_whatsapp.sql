-- `chatwh forget` of a WhatsApp person: their interactions in raw and the earliest of them
-- (the month the rebuild starts from). Bound: $user_id (the wa_id's pseudonym).
select count(*) as interactions, min(occurred_at) as erased_from
from raw.whatsapp_messages
where user_id = $user_id
