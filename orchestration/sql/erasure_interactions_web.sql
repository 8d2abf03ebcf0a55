-- `chatwh forget` of a web person: their interactions in raw and the earliest of them (the
-- month the rebuild starts from). Bound: $user_id (the anonymousId).
select count(*) as interactions, min(occurred_at) as erased_from
from raw.web_events
where anonymous_id = $user_id
