-- The local dates an assistant's sessions cover (one channel, or both with 'all'): what
-- a window without data is told about.
select
    min(first_session_date) as first_date,
    max(last_session_date) as last_date
from marts.customers
where assistant_id = $assistant_id and $channel in ('all', channel)
