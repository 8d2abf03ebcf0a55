-- chatwh status: what the warehouse holds now. The newest arrival day loaded, and the
-- local dates of the first and the last session in the marts.
select
    (select max(arrival_date) from raw.load_audit) as newest_arrival_day,
    (select min(session_date) from marts.fct_sessions) as first_session_date,
    (select max(session_date) from marts.fct_sessions) as last_session_date
