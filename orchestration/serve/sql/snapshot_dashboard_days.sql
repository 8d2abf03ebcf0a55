-- The Dashboard's serving table: for each assistant and each day of the months its sessions
-- cover, the users of that day's month to date (a session from the month's first day to
-- that day); the Dashboard's month counts are lookups in it (snapshot_views.sql). The count
-- is sessions_view's, day by day: a chain
-- that starts and ends in one month adds a user on its last day when it is one session,
-- and takes one back when it is two; a running sum over the month's days adds them up. A
-- month's whole count is its last day's; a month without sessions has no rows (0).
create table serving_snapshot.marts.dashboard_days as
with chain_ends as (
    select
        assistant_id,
        last_date as day,
        coalesce(sum(chains) filter (where chain_length = 1), 0)
        - coalesce(sum(chains) filter (where chain_length = 2), 0) as users_added
    from marts.session_chains_daily
    where date_trunc('month', first_date) = date_trunc('month', last_date)
    group by all
),

spans as (
    select
        assistant_id,
        cast(date_trunc('month', min(day)) as date) as first_day,
        cast(date_trunc('month', max(day)) + interval 1 month as date) - 1 as last_day
    from chain_ends
    group by assistant_id
),

days as (
    select
        assistant_id,
        cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as day
    from spans
)

select
    days.assistant_id,
    days.day,
    cast(sum(coalesce(chain_ends.users_added, 0)) over (
        partition by days.assistant_id, date_trunc('month', days.day) order by days.day
    ) as bigint) as month_users
from days
left join chain_ends
    on days.assistant_id = chain_ends.assistant_id and days.day = chain_ends.day
order by days.assistant_id, days.day;
