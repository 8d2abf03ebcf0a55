-- The Sessions view of every assistant over one window, in one query (views.py).
-- Parameters: from_date, to_date, channel.
select sessions.*
from marts.dim_assistants as assistant,
    marts.sessions_view(assistant.assistant_id, ?, ?, channel := ?) as sessions
order by assistant.assistant_id
