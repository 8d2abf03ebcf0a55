-- The serving table of the Customers series: each row of fct_user_days with the user's
-- previous and next day of activity (on that assistant and channel, over all history), and
-- without the user. A window's counts become filters on one scan (snapshot_customers_view):
-- a user is active in a bucket once, on the row whose previous day is before the bucket; a
-- user has one session in the window when a row of one session has its previous day before
-- the window and its next day after it. In assistant, channel and time order, so that a
-- window's scan reads the row groups of that assistant's window only (a year at 10M: 86 ms
-- instead of 108 ms for the largest assistant, docs/benchmarks.md).
create table serving_snapshot.marts.user_day_links as
select
    assistant_id,
    channel,
    activity_date,
    sessions,
    lag(activity_date) over users as previous_day,
    lead(activity_date) over users as next_day
from marts.fct_user_days
window users as (partition by assistant_id, channel, user_id order by activity_date)
order by assistant_id, channel, activity_date;
