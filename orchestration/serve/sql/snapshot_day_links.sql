-- The serving table of the Customers series: the rows of fct_user_day_links (each user-day
-- with the user's previous and next day of activity on that assistant and channel, over all
-- history) without the user, and counted: one row per assistant, channel, day, one session
-- or more, previous day and next day, with the number of users it stands for. A window's
-- counts become sums on one scan (snapshot_views.sql): a user is active in a bucket once,
-- on the row whose previous day is before the bucket; a user has one session in the window
-- when a row of one session has its previous day before the window and its next day after
-- it. The starts of each day's week and month are kept, so that the scan computes no
-- bucket. In assistant, channel and time order, so that a window's scan reads the row
-- groups of that assistant's window only (docs/benchmarks.md).
create table serving_snapshot.marts.user_day_links as
select
    assistant_id,
    channel,
    activity_date,
    cast(date_trunc('week', activity_date) as date) as week_start,
    cast(date_trunc('month', activity_date) as date) as month_start,
    one_session,
    previous_day,
    next_day,
    count(*) as users
from marts.fct_user_day_links
group by all
order by assistant_id, channel, activity_date;
