-- chatwh report: an assistant's display name and whether it has a WhatsApp number.
-- $1: the assistant id.
select
    assistant_name,
    has_whatsapp
from marts.dim_assistants
where assistant_id = $1
