-- `chatwh forget` of a web person: their interactions deleted from raw.
-- Bound: $user_id (the anonymousId).
delete from raw.web_events
where anonymous_id = $user_id
