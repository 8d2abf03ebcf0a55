select key_id, assistants, created_at, revoked_at
from api_keys
order by created_at, key_id;
