insert into api_keys (key_id, key_sha256, assistants, created_at)
values (:key_id, :key_sha256, :assistants, :created_at);
