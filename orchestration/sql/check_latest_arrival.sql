-- The newest loaded arrival day (asset check latest_arrival_is_fresh).
select max(arrival_date) from raw.load_audit
