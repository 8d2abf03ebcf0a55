-- The snapshot's Customers view: the same columns and numbers as the warehouse's
-- marts.customers_view (dbt_project/macros/view_macros.sql), counted from
-- marts.user_day_links (snapshot_day_links.sql) by one filtered scan of the window's rows
-- instead of a count of distinct users per bucket. The same buckets (customers_buckets, customers_bucket_of),
-- totals (sessions_view) and new users (marts.customers) as the warehouse's; its equality
-- with the warehouse's is tested (tests/test_serve_api.py).
create or replace macro serving_snapshot.marts.customers_view(
    assistant_id, from_date, to_date, grain := null, channel := 'all'
) as table
with buckets as (
    select * from marts.customers_buckets(from_date, to_date, grain := grain)
),

params as (
    select bucket_grain, window_from, window_to from buckets limit 1
),

window_days as (
    select
        d.sessions,
        d.previous_day,
        d.next_day,
        marts.customers_bucket_of(d.activity_date, params.bucket_grain, params.window_from) as bucket_start
    from marts.user_day_links as d, params
    where
        d.assistant_id = assistant_id
        and (channel = 'all' or d.channel = channel)
        and d.activity_date between params.window_from and params.window_to
),

bucket_activity as (
    select
        w.bucket_start,
        count(*) filter (
            where w.previous_day is null or w.previous_day < w.bucket_start
        ) as active_users,
        count(*) filter (
            where
                w.sessions = 1
                and (w.previous_day is null or w.previous_day < params.window_from)
                and (w.next_day is null or w.next_day > params.window_to)
        ) as unique_users
    from window_days as w, params
    group by w.bucket_start
),

bucket_new_users as (
    select
        marts.customers_bucket_of(c.first_session_date, params.bucket_grain, params.window_from) as bucket_start,
        count(*) as new_users
    from marts.customers as c, params
    where
        c.assistant_id = assistant_id
        and (channel = 'all' or c.channel = channel)
        and c.first_session_date between params.window_from and params.window_to
    group by all
),

totals as (
    select * from marts.sessions_view(assistant_id, from_date, to_date, channel := channel)
)

select
    totals.assistant_id,
    totals.channel,
    totals.from_date,
    totals.to_date,
    buckets.bucket_grain as grain,
    totals.total_users,
    totals.unique_users,
    totals.recurring_users,
    totals.unique_pct,
    totals.recurring_pct,
    buckets.bucket_start,
    buckets.bucket_end,
    coalesce(bucket_activity.active_users, 0) as active_users,
    coalesce(bucket_activity.unique_users, 0) as bucket_unique_users,
    coalesce(bucket_activity.active_users, 0)
    - coalesce(bucket_activity.unique_users, 0) as bucket_recurring_users,
    coalesce(bucket_new_users.new_users, 0) as new_users
from buckets
cross join totals
left join bucket_activity on buckets.bucket_start = bucket_activity.bucket_start
left join bucket_new_users on buckets.bucket_start = bucket_new_users.bucket_start
order by buckets.bucket_start;
