-- The newest local date with a session, any assistant (null before the first build).
select max(last_date) from marts.session_chains_daily where chain_length = 1
