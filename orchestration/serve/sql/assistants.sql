-- The assistants of the serving snapshot that an API key covers (bound: the key's list).
select
    assistant_id,
    assistant_name as name,
    timezone
from marts.dim_assistants
where list_contains($assistant_ids, assistant_id)
order by assistant_id;
