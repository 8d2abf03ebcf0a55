update api_keys
set revoked_at = :revoked_at
where key_id = :key_id and revoked_at is null;
