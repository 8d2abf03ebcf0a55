-- The snapshot's Customers view: the same columns and numbers as the warehouse's
-- marts.customers_view (dbt_project/macros/view_macros.sql), on the same frame (buckets,
-- totals and new users: marts.customers_frame), with the users active per bucket counted
-- from marts.user_day_links (snapshot_day_links.sql) by one filtered scan of the window's
-- rows instead of distinct users per bucket. Its equality with the warehouse's is tested
-- (tests/e2e/test_serve_views.py).
create or replace macro serving_snapshot.marts.customers_view(
    assistant_id, from_date, to_date, grain := null, channel := 'all'
) as table
with frame as (
    select *
    from marts.customers_frame(
        assistant_id, from_date, to_date, grain := grain, channel := channel
    )
),

params as (
    select
        cast(from_date as date) as window_from,
        cast(to_date as date) as window_to,
        marts.customers_grain(from_date, to_date, grain) as bucket_grain
),

window_days as (
    select
        d.sessions,
        d.previous_day,
        d.next_day,
        marts.customers_bucket_of(
            d.activity_date, params.bucket_grain, params.window_from
        ) as bucket_start
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
)

select
    frame.* exclude (new_users),
    coalesce(bucket_activity.active_users, 0) as active_users,
    coalesce(bucket_activity.unique_users, 0) as bucket_unique_users,
    coalesce(bucket_activity.active_users, 0)
    - coalesce(bucket_activity.unique_users, 0) as bucket_recurring_users,
    frame.new_users
from frame
left join bucket_activity on frame.bucket_start = bucket_activity.bucket_start
order by frame.bucket_start;
