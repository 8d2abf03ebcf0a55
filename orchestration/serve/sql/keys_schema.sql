-- SQLite: the API keys of `chatwh serve`. Only the SHA-256 of a key is stored; the key is
-- shown once, by `chatwh keys create`. `assistants` is a JSON list of assistant ids.
create table if not exists api_keys (
    key_id text primary key,
    key_sha256 text not null unique,
    assistants text not null,
    created_at text not null,
    revoked_at text
);
