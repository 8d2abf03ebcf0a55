-- Every person's id that the landing zone's files of one channel name, for `chatwh rekey`:
-- the web's anonymousId, WhatsApp's `from` and `from_user_id` (the two keys a user can have).
-- A superset of the ids that ingest loads (bad lines included), which is what the
-- erasures need: every erased person the files hold is found. Lines that are no JSON are
-- left out.
insert into rekey_ids
select distinct $channel as channel, id
from (
    select unnest(
        case $channel
            when 'web' then [json ->> '$.anonymousId']
            else list_concat(
                json_extract_string(json, '$.entry[*].changes[*].value.messages[*].from'),
                json_extract_string(json, '$.entry[*].changes[*].value.messages[*].from_user_id')
            )
        end
    ) as id
    from read_json_objects(
        $files, format = 'newline_delimited', ignore_errors = true,
        maximum_object_size = $max_bytes
    )
)
where id is not null
