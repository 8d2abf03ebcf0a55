-- The shape of a loaded warehouse's data: users, sessions per user, messages per session,
-- assistants (a user is an assistant's user on one channel, as in the marts).
with per_user as (
    select
        assistant_id,
        channel,
        user_id,
        count(*) as sessions,
        sum(interaction_count) as messages
    from marts.fct_sessions
    group by assistant_id, channel, user_id
)

select
    count(*) as users,
    sum(sessions) as sessions,
    round(sum(sessions) / count(*), 3) as sessions_per_user,
    count(*) filter (sessions = 1) as users_with_one_session,
    count(*) filter (sessions = 2) as users_with_two_sessions,
    count(*) filter (sessions > 2) as users_with_more_sessions,
    sum(messages) as messages,
    round(sum(messages) / sum(sessions), 2) as messages_per_session,
    count(distinct assistant_id) as assistants
from per_user
