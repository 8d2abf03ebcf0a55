-- What the snapshot's views read of marts.customers, without the users: each user's first
-- and last session dates on an assistant and channel (the Customers view's new users, the
-- dates an assistant's data covers). In assistant, channel and first-session order, so that
-- a window's new users are read from that assistant's row groups only.
create table serving_snapshot.marts.customers as
select
    assistant_id,
    channel,
    first_session_date,
    last_session_date
from marts.customers
order by assistant_id, channel, first_session_date;
