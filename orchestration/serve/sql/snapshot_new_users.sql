-- What the snapshot keeps of marts.customers: how many users had their first session on
-- each day, per assistant and channel (no user). The Customers view's new users per bucket
-- are summed from it (snapshot_views.sql).
create table serving_snapshot.marts.new_users_daily as
select
    assistant_id,
    channel,
    first_session_date,
    count(*) as users
from marts.customers
group by all
order by assistant_id, channel, first_session_date;
