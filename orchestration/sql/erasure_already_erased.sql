-- `chatwh forget` (orchestration/erasure.py): whether an earlier `forget` recorded this
-- erasure. Bound: $channel and $pseudonym (the person's keyed pseudonym, never the raw id).
select count(*) > 0 as already_erased
from raw.erasures
where channel = $channel and user_id = $pseudonym
