-- The snapshot's own view macros, made inside the snapshot (its default catalog while they
-- are created, so that they read its tables): they replace those of the warehouse's
-- macros (dbt_project/macros/view_macros.sql) that count users over user-level marts by
-- counts over the snapshot's serving tables, with the same columns and numbers; the
-- shaping macros (customers_frame, dashboard_view, sessions_view) stay the warehouse's and
-- call these. Their equality with the warehouse's is tested (tests/e2e/test_serve_views.py).

-- The Customers view: on the warehouse's frame (buckets, totals and new users:
-- marts.customers_frame), with the users active per bucket summed from marts.user_day_links
-- (snapshot_day_links.sql) by one filtered scan of the window's rows instead of distinct
-- users per bucket. A bucket starts where its week or month does (the row's week_start or
-- month_start), or on the window's first day, as in marts.customers_bucket_of.
create or replace macro marts.customers_view(
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
        d.one_session,
        d.previous_day,
        d.next_day,
        d.users,
        greatest(
            case params.bucket_grain
                when 'day' then d.activity_date
                when 'week' then d.week_start
                else d.month_start
            end,
            params.window_from
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
        cast(sum(w.users) filter (
            where w.previous_day is null or w.previous_day < w.bucket_start
        ) as bigint) as active_users,
        cast(sum(w.users) filter (
            where
                w.one_session
                and (w.previous_day is null or w.previous_day < params.window_from)
                and (w.next_day is null or w.next_day > params.window_to)
        ) as bigint) as unique_users
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

-- The new users of each bucket, from the first sessions per day (snapshot_new_users.sql),
-- in place of the warehouse's count over every user.
create or replace macro marts.customers_new_users(
    assistant_id, from_date, to_date, grain := null, channel := 'all'
) as table
select
    marts.customers_bucket_of(
        n.first_session_date,
        marts.customers_grain(from_date, to_date, grain),
        cast(from_date as date)
    ) as bucket_start,
    cast(sum(n.users) as bigint) as new_users
from marts.new_users_daily as n
where
    n.assistant_id = assistant_id
    and (channel = 'all' or n.channel = channel)
    and n.first_session_date between cast(from_date as date) and cast(to_date as date)
group by all;

-- The users of each of the Dashboard's 13 months: the month-to-date users of its last day
-- (snapshot_dashboard_days.sql), in place of the warehouse's count over 13 months of chains.
create or replace macro marts.dashboard_month_users(
    assistant_id, as_of := null
) as table
select
    months.as_of_date,
    months.offset_months,
    months.month_start,
    coalesce(d.month_users, 0) as users
from marts.dashboard_months(assistant_id, as_of := as_of) as months
left join marts.dashboard_days as d
    on d.assistant_id = assistant_id and months.month_end = d.day;
