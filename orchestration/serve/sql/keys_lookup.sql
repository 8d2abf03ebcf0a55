-- The key a request presents, if it is known and not revoked.
select key_id, assistants, created_at, revoked_at
from api_keys
where key_sha256 = :key_sha256 and revoked_at is null;
