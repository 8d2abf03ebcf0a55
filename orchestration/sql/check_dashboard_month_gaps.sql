-- Assistants whose Dashboard months are not every month from the first to the last,
-- once each (asset check no_month_missing).
select count(*) from (
    select assistant_id,
        count(*) as months,
        count(distinct month_start_date) as distinct_months,
        date_diff('month', min(month_start_date), max(month_start_date)) + 1 as span
    from marts.dashboard_monthly_users group by assistant_id
) where months <> span or distinct_months <> months
