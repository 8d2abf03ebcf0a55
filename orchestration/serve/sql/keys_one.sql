select key_id, assistants, created_at, revoked_at
from api_keys
where key_id = :key_id;
