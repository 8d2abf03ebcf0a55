-- Whole days from an arrival day to today (asset check latest_arrival_is_fresh).
select date_diff('day', ?::date, current_date)
